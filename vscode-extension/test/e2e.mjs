// End to end in a real VS Code (code-server) driven by Chromium: install the packaged
// extension, open a prompt from a fixture workspace, and check what a person sees —
// inlay hints, the budget diagnostic in the Problems panel, the status bar (pending while
// an edit is counted), a hover on a reference, the count of a selection. Screenshots go to
// vscode-extension/artifacts/.
//
//   node test/e2e.mjs <code-server binary> <extension.vsix> <fixture workspace> <python>
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const [codeServer, vsix, fixture, python] = process.argv.slice(2);
const here = path.dirname(new URL(import.meta.url).pathname);
const artifacts = path.join(here, "..", "artifacts");
fs.mkdirSync(artifacts, { recursive: true });

const home = fs.mkdtempSync(path.join(os.tmpdir(), "tokenls-vscode-"));
const workspace = path.join(home, "workspace");
fs.cpSync(fixture, workspace, { recursive: true });
const userData = path.join(home, "user-data");
const extensions = path.join(home, "extensions");
fs.mkdirSync(path.join(userData, "User"), { recursive: true });
fs.writeFileSync(
  path.join(userData, "User", "settings.json"),
  JSON.stringify({
    "tokenls.server.command": [python, "-m", "tokenls", "serve"],
    "editor.inlayHints.enabled": "on",
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "security.workspace.trust.enabled": false,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "update.mode": "none",
    // The test edits settings.json by inserting text: no auto-closing or formatting.
    "editor.autoClosingBrackets": "never",
    "editor.autoClosingQuotes": "never",
    "editor.formatOnPaste": false,
    // Lines are selected with Home/Shift+Down/Shift+End: logical lines, no suggestions.
    "editor.wordWrap": "off",
    "[markdown]": { "editor.wordWrap": "off" },
    "[prompt]": { "editor.wordWrap": "off" },
    "editor.quickSuggestions": { other: "off", comments: "off", strings: "off" },
    "editor.suggestOnTriggerCharacters": false,
  }),
);
const env = {
  ...process.env,
  XDG_CONFIG_HOME: path.join(home, "config"),
  XDG_DATA_HOME: path.join(home, "data"),
  XDG_CACHE_HOME: path.join(home, "cache"),
  TOKENLS_CACHE_DIR: path.join(home, "tokenls-cache"),
};
const common = ["--user-data-dir", userData, "--extensions-dir", extensions];

const install = spawnSync(codeServer, [...common, "--install-extension", vsix], { env, encoding: "utf8" });
if (install.status !== 0) {
  throw new Error(`extension install failed: ${install.stderr || install.stdout}`);
}

const port = await freePort();
const server = spawn(
  codeServer,
  [
    ...common,
    "--bind-addr", `127.0.0.1:${port}`,
    "--auth", "none",
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    workspace,
  ],
  { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
);
let serverLog = "";
server.stdout.on("data", (d) => (serverLog += d));
server.stderr.on("data", (d) => (serverLog += d));

const results = {};
let browser;
try {
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
  await page.waitForTimeout(3000);

  // Open the prompt through Quick Open, as a person would.
  await quickPick(page, "Control+P", "review.prompt.md");
  await page.waitForSelector(".monaco-editor .view-lines", { timeout: 20_000 });

  // Inlay hints: the document total after the first line, section counts after headings.
  const hint = page.locator(".monaco-editor .view-lines").getByText(/\d[\d,]*\stok/).first();
  await hint.waitFor({ timeout: 60_000 });
  results.inlayHints = await page
    .locator(".monaco-editor .view-lines")
    .getByText(/tok/)
    .allInnerTexts()
    .then((texts) => texts.map(plain));
  await page.screenshot({ path: path.join(artifacts, "1-inlay-hints.png") });

  // Status bar item, driven by tokenls/documentTokens.
  const statusItem = countItem(page).first();
  await statusItem.waitFor({ timeout: 30_000 });
  results.statusBar = plain(await statusItem.innerText());

  // Hover on the #file reference.
  const reference = page.locator(".monaco-editor .view-lines").getByText("docs/style.md").first();
  await reference.hover();
  const hover = page.locator(".monaco-hover-content").filter({ hasText: /tok/ }).first();
  await hover.waitFor({ timeout: 30_000 });
  results.hover = plain(await hover.innerText());
  await page.screenshot({ path: path.join(artifacts, "2-hover.png") });

  // The budget diagnostic in the Problems panel.
  await page.mouse.move(5, 5);
  await page.keyboard.press("Control+Shift+M");
  const problem = page.locator(".markers-panel").getByText(/tokens\s\(\d+%\)/).first();
  await problem.waitFor({ timeout: 30_000 });
  results.problem = plain(await problem.innerText());
  await page.screenshot({ path: path.join(artifacts, "3-problems.png") });

  // Count Tokens in Selection: select lines 5 to 7 as a person would, run the command.
  await page.locator(".monaco-editor .view-line").filter({ hasText: "## What to look for" }).first().click();
  for (const key of ["Home", "Shift+ArrowDown", "Shift+ArrowDown", "Shift+End"]) {
    await page.keyboard.press(key);
  }
  await runCommand(page, "tokenls: Count Tokens in Selection");
  const counted = page.locator(".notifications-toasts .notification-list-item-message").filter({ hasText: /selected/ }).first();
  await counted.waitFor({ timeout: 30_000 });
  results.selection = plain(await counted.innerText());
  await page.waitForTimeout(500); // the notification slides in
  await page.screenshot({ path: path.join(artifacts, "5-selection.png") });

  // An edit: the status bar shows the count pending, then the fresh figure. Every status
  // bar text is recorded in the page, so a short-lived state cannot be missed.
  await page.evaluate(recordStatusBar);
  await page.keyboard.press("Control+End");
  await page.keyboard.insertText("Thank you."); // one edit: no count of a partial text
  const edited = countItem(page).filter({ hasNotText: results.statusBar }).first();
  await edited.waitFor({ timeout: 30_000 });
  results.statusBarAfterEdit = plain(await edited.innerText());
  results.statusSeen = await page.evaluate(() => window.tokenlsStatusSeen);
  // Remove the edit: the figure returns to the saved text's.
  await page.keyboard.press("Shift+Home");
  await page.keyboard.press("Backspace");
  const restored = countItem(page).filter({ hasText: results.statusBar }).first();
  await restored.waitFor({ timeout: 30_000 });
  results.statusBarEditRemoved = plain(await restored.innerText());

  // A user setting the user sets wins over the workspace's tokenls.toml (editorFirst).
  // Set it as a person would: in the user settings JSON, saved.
  const settingsFile = path.join(userData, "User", "settings.json");
  const userSettings = JSON.parse(fs.readFileSync(settingsFile, "utf8"));
  await runCommand(page, "Preferences: Open User Settings (JSON)");
  await page.waitForSelector(".monaco-editor .view-lines", { timeout: 20_000 });
  await page.waitForTimeout(1000);
  await page.locator(".monaco-editor .view-lines").filter({ hasText: "tokenls.server.command" }).first().click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(JSON.stringify({ ...userSettings, "tokenls.encoding": "o200k_base" }, null, 2));
  await page.keyboard.press("Control+S");
  await page.waitForTimeout(1000);
  // Back to the prompt.
  await quickPick(page, "Control+P", "review.prompt.md");
  const before = results.statusBar;
  const changed = countItem(page).filter({ hasNotText: before }).first();
  await changed.waitFor({ timeout: 30_000 });
  results.statusBarAfterUserSetting = plain(await changed.innerText());
  results.inlayHintsAfterUserSetting = await page
    .locator(".monaco-editor .view-lines")
    .getByText(/tok/)
    .allInnerTexts()
    .then((texts) => texts.map(plain));
  await page.screenshot({ path: path.join(artifacts, "4-user-setting.png") });
  console.log(JSON.stringify({ ok: true, ...results }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error), ...results }));
  fs.writeFileSync(path.join(artifacts, "code-server.log"), serverLog);
  process.exitCode = 1;
} finally {
  if (browser) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages.length && process.exitCode) {
      await pages[0].screenshot({ path: path.join(artifacts, "failure.png") }).catch(() => {});
      fs.writeFileSync(path.join(artifacts, "failure.html"), await pages[0].content().catch(() => ""));
    }
    await browser.close();
  }
  try {
    process.kill(-server.pid, "SIGTERM"); // the whole process group: code-server leaves children
  } catch {
    // already gone
  }
  fs.rmSync(home, { recursive: true, force: true });
}

// The status bar item showing a figure such as "1,234 tok · 56%".
function countItem(page) {
  return page.locator(".statusbar-item").filter({ hasText: /\d[\d,]*\stok/ });
}

function runCommand(page, title) {
  return quickPick(page, "Control+Shift+P", title);
}

// Quick Open or the Command Palette: type, wait until the item is listed, pick it.
async function quickPick(page, shortcut, label) {
  await page.keyboard.press(shortcut);
  await page.waitForSelector(".quick-input-widget input", { timeout: 20_000 });
  await page.keyboard.type(label);
  const item = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: label }).first();
  await item.waitFor({ timeout: 20_000 });
  await page.waitForTimeout(300); // the list settles on its first match
  await page.keyboard.press("Enter");
}

// Runs in the page: keeps every distinct text of a tokenls status bar item (and whether
// its icon spins) in window.tokenlsStatusSeen, from now on.
function recordStatusBar() {
  const seen = (window.tokenlsStatusSeen = []);
  const record = () => {
    for (const item of document.querySelectorAll(".statusbar-item")) {
      const text = item.textContent.replace(/\u00a0/g, " ").trim();
      if (!/tok/.test(text)) {
        continue;
      }
      const spinning = item.querySelector(".codicon-sync.codicon-modifier-spin") !== null;
      const last = seen[seen.length - 1];
      if (!last || last.text !== text || last.spinning !== spinning) {
        seen.push({ text, spinning });
      }
    }
  };
  record();
  new MutationObserver(record).observe(document.querySelector(".part.statusbar"), {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
  });
}

// The editor renders spaces in hints as no-break spaces; compare plain text.
function plain(text) {
  return text.replace(/\u00a0/g, " ").trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) {
        return;
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not start: ${serverLog.slice(-2000)}`);
}
