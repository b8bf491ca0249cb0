/**
 * Check URLs and command lines may carry secrets: `http://user:pass@host/` or
 * `https://host/health?token=…`. This is the one function that makes such text safe to log:
 * the userinfo of every `scheme://` URL becomes `***`, and so does the value of every query
 * parameter (`?name=value` or `&name=value`, inside a URL or not: a URL broken by a space must
 * not leak its query either). Names stay, so the reader still sees which parameters were sent.
 */
export function redactUrls(text: string): string {
  const withoutUserinfo = text.includes('://') ? text.replace(URL_TOKEN, (url) => url.replace(USERINFO, '$1***@')) : text;
  return withoutUserinfo.includes('=') ? withoutUserinfo.replace(QUERY_PAIR, '$1=***') : withoutUserinfo;
}

/**
 * A URL in free text: a scheme, `://`, then everything up to white space or a quote, with
 * check templates (`{{ host }}`, spaces and all) taken as part of it.
 */
const URL_TOKEN = /[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:\{\{[^}]*\}\}|[^\s"'<>])+/g;
/** `scheme://userinfo@`: the userinfo is everything before the first `@` of the authority. */
const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@]*@/;
/** `?name=value` or `&name=value`; the value runs to the next `&`, `#`, white space or quote (templates whole). */
const QUERY_PAIR = /([?&][^=\s&#?"'<>]+)=(?:\{\{[^}]*\}\}|[^&#\s"'<>])*/g;
