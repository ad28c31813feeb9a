// What a run asked of FINRA, counted by the HTTP gateway and kept in the run log.
/** What a gateway has sent and received so far: a free FINRA credential is capped at 10 GB a month. */
export interface Usage {
  requests: number;
  /** Body bytes as they came over the wire (compressed), every attempt counted. */
  bytes: number;
}
