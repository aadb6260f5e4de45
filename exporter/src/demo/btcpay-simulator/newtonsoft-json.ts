// Serialises like Newtonsoft.Json with Formatting.Indented, as BTCPay's WebhookSender does:
// 2-space indent, "\n" newlines, `"key": value`, no trailing newline, non-ASCII not escaped.
// JSON.stringify(v, null, 2) has the same layout; Newtonsoft additionally escapes U+0085,
// U+2028 and U+2029, which JavaScript leaves raw.
export function newtonsoftIndented(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
