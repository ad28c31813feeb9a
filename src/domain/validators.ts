/** An HTTP resource's validators (RFC 9110), kept with what was loaded so that asking again costs no body when unchanged. */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
}
