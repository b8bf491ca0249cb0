/**
 * Check URLs and command lines may carry secrets: `http://user:pass@host/` or
 * `https://host/health?token=…`. This is the one function that makes such text safe to log:
 * in every `scheme://` URL in `text`, the userinfo becomes `***` and each query value `***`
 * (names stay, so the reader still sees which parameters were sent). Anything else is kept.
 */
export function redactUrls(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_TOKEN, (url) => {
    const out = url.replace(USERINFO, '$1***@');
    const q = out.indexOf('?');
    if (q < 0) return out;
    const hash = out.indexOf('#', q);
    const query = out.slice(q + 1, hash < 0 ? undefined : hash);
    const redacted = query
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        return eq < 0 ? pair : `${pair.slice(0, eq)}=***`;
      })
      .join('&');
    return `${out.slice(0, q + 1)}${redacted}${hash < 0 ? '' : out.slice(hash)}`;
  });
}

/** A URL in free text: a scheme, `://`, then everything up to white space or a quote. */
const URL_TOKEN = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>]+/g;
/** `scheme://userinfo@`: the userinfo is everything before the first `@` of the authority. */
const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@]*@/;
