/**
 * One layout for every email: a template says *what* to write as a list of blocks, this file says how it
 * looks in plain text and in HTML. Templates never write markup, so no template can forget to escape.
 */

/** A paragraph of plain text, or a link shown as a button (HTML) / a bare URL on its own line (text). */
export type Block = string | { label: string; url: string };

export interface EmailContent {
  subject: string;
  blocks: Block[];
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const htmlEscapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Every interpolated value goes through here: names and addresses are user input. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => htmlEscapes[char]!);
}

export function renderLayout(content: EmailContent, appName: string): RenderedEmail {
  return { subject: content.subject, text: renderText(content.blocks, appName), html: renderHtml(content, appName) };
}

function renderText(blocks: Block[], appName: string): string {
  // URLs on a line of their own: mail clients wrap long lines and would otherwise break the link.
  const paragraphs = blocks.map((block) => (typeof block === "string" ? block : `${block.label}:\n${block.url}`));
  return `${[...paragraphs, `— ${appName}`].join("\n\n")}\n`;
}

const font = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const paragraphStyle = "margin:0 0 16px;font-size:15px;line-height:1.5;color:#1f2328";
const buttonStyle =
  "display:inline-block;padding:12px 20px;background:#1f2328;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600";
const fallbackStyle = "margin:0 0 16px;font-size:12px;line-height:1.5;color:#59636e;word-break:break-all";

function renderHtmlBlock(block: Block): string {
  if (typeof block === "string") return `<p style="${paragraphStyle}">${escapeHtml(block)}</p>`;
  const url = escapeHtml(block.url);
  // The bare URL under the button is for clients that strip styles or block buttons.
  return (
    `<p style="${paragraphStyle}"><a href="${url}" style="${buttonStyle}">${escapeHtml(block.label)}</a></p>` +
    `<p style="${fallbackStyle}">Or open this link: <a href="${url}" style="color:#0969da">${url}</a></p>`
  );
}

function renderHtml(content: EmailContent, appName: string): string {
  const body = content.blocks.map(renderHtmlBlock).join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(content.subject)}</title></head>
<body style="margin:0;padding:24px;background:#f6f8fa;${font}">
<div style="max-width:480px;margin:0 auto;padding:32px;background:#ffffff;border:1px solid #d1d9e0;border-radius:8px">
${body}
<p style="margin:24px 0 0;font-size:13px;color:#59636e">— ${escapeHtml(appName)}</p>
</div>
</body>
</html>
`;
}
