// 5. Two browsers signed in as one user: revoke the other device from the sessions table, then "everywhere else".
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { createVerifiedAccount, ipOf, pathOf, ready, signIn, useBrowser } from "./support";

const browser = useBrowser();

function sessionsTable(page: Page) {
  return page.getByRole("region", { name: "Where you're signed in" });
}

/** Body rows: the header row has column headers, not cells. */
function sessionRows(page: Page) {
  return sessionsTable(page)
    .getByRole("row")
    .filter({ has: page.getByRole("cell") });
}

async function openSessions(page: Page, expectedRows: number) {
  await page.goto("/profile/sessions");
  await sessionsTable(page).waitFor();
  expect(await sessionRows(page).count()).toBe(expectedRows);
}

describe("sessions", () => {
  it("revokes another device's session from the sessions page; that device is signed out", async () => {
    const a = await browser.page();
    const account = await createVerifiedAccount(a, "sessions");
    const b = await browser.page();
    await signIn(b, account.email, account.password);

    await openSessions(a, 2);
    const mine = sessionRows(a).filter({ hasText: "This device" });
    const theirs = sessionRows(a).filter({ hasNotText: "This device" });
    expect(await mine.count()).toBe(1);
    expect(await mine.innerText()).toContain(ipOf(a.context()));
    expect(await theirs.innerText()).toContain(ipOf(b.context()));
    // Only other devices can be revoked from here.
    expect(await mine.getByRole("button").count()).toBe(0);

    const revoke = await ready(theirs.getByRole("button", { name: /^Revoke / }));
    expect(await revoke.getAttribute("aria-label")).toContain(ipOf(b.context()));
    await revoke.click();
    await sessionsTable(a)
      .getByRole("status")
      .getByText(/^Signed out .+\.$/)
      .waitFor();
    await sessionRows(a).filter({ hasNotText: "This device" }).waitFor({ state: "detached" });
    expect(await sessionRows(a).count()).toBe(1);

    await b.reload();
    expect(pathOf(b)).toBe("/sign-in");
    await a.reload();
    expect(pathOf(a)).toBe("/profile/sessions");
  });

  it("signs out every other device with “Sign out everywhere else”", async () => {
    const a = await browser.page();
    const account = await createVerifiedAccount(a, "everywhere");
    const others = [await browser.page(), await browser.page()];
    for (const other of others) await signIn(other, account.email, account.password);

    await openSessions(a, 3);
    const everywhere = await ready(sessionsTable(a).getByRole("button", { name: "Sign out everywhere else" }));
    await everywhere.click();
    await sessionsTable(a).getByRole("status").getByText("Signed out everywhere else.").waitFor();
    await sessionRows(a).nth(1).waitFor({ state: "detached" });
    expect(await sessionRows(a).count()).toBe(1);
    // Nothing left to sign out: the button is disabled now.
    await a.waitForFunction(() => {
      const button = [...document.querySelectorAll("button")].find((b) => b.textContent === "Sign out everywhere else");
      return button?.disabled === true;
    });

    for (const other of others) {
      await other.reload();
      expect(pathOf(other)).toBe("/sign-in");
    }
    await a.reload();
    expect(pathOf(a)).toBe("/profile/sessions");
  });
});
