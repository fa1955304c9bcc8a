// The project's docs stand alone (issue 12): README once linked the contract at ../shared/API.md, a file outside the
// repository that a clone does not have. Every tracked Markdown file is read here: no link may leave the
// repository, every relative link must name a file that exists, and a #fragment must name a heading there.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { headingSlugs, markdownLinks } from "./support/markdown";

const root = path.resolve(import.meta.dirname, "../..");

function trackedMarkdown(): string[] {
  return execFileSync("git", ["ls-files", "-co", "--exclude-standard", "--", "*.md"], { cwd: root, encoding: "utf8" })
    .split("\n")
    .filter((file) => file && existsSync(path.join(root, file)));
}

const files = trackedMarkdown();
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

describe("Markdown links", () => {
  it("finds the project's Markdown (README and docs/)", () => {
    expect(files).toContain("README.md");
    expect(files).toContain("docs/api.md");
  });

  it("never points outside the repository, not even in plain text (../shared)", () => {
    const outside = files.filter((file) => /\.\.\/shared\b/.test(read(file)));
    expect(outside).toEqual([]);
  });

  it.each(files)("%s: every relative link stays in the repository and resolves, with its #fragment", (file) => {
    const problems: string[] = [];
    for (const { target, line } of markdownLinks(read(file))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: not a file of ours
      const [pathPart = "", fragment] = target.split("#", 2) as [string, string | undefined];
      const resolved = pathPart
        ? path.resolve(pathPart.startsWith("/") ? root : path.dirname(path.join(root, file)), decodeURI(pathPart))
        : path.join(root, file);
      const relative = path.relative(root, resolved);
      if (relative.startsWith("..") || path.isAbsolute(relative)) {
        problems.push(`line ${line}: ${target} leaves the repository`);
        continue;
      }
      if (!existsSync(resolved)) {
        problems.push(`line ${line}: ${target} does not exist`);
        continue;
      }
      if (fragment && resolved.endsWith(".md") && statSync(resolved).isFile()) {
        const slugs = headingSlugs(readFileSync(resolved, "utf8"));
        if (!slugs.has(fragment)) problems.push(`line ${line}: ${target}: no heading #${fragment} there`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("the Markdown reader", () => {
  it("finds inline, image and reference links outside code, with their lines", () => {
    const text = [
      "See [the API](docs/api.md#errors) and ![logo](app/icon.svg).",
      "`[not](a-link.md)` in code",
      "```",
      "[not](either.md)",
      "```",
      "[ref]: ../outside.md",
      '[titled](docs/api.md "The API")',
    ].join("\n");
    expect(markdownLinks(text)).toEqual([
      { target: "docs/api.md#errors", line: 1 },
      { target: "app/icon.svg", line: 1 },
      { target: "../outside.md", line: 6 },
      { target: "docs/api.md", line: 7 },
    ]);
  });

  it("names headings as GitHub does (punctuation dropped, spaces to dashes, repeats numbered)", () => {
    const slugs = headingSlugs(
      "# Twofold API\n## Accounts (email + password)\n### The `user` object\n## Errors\n## Errors\n```\n# not a heading\n```",
    );
    expect([...slugs]).toEqual(["twofold-api", "accounts-email--password", "the-user-object", "errors", "errors-1"]);
  });
});
