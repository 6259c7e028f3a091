// End to end in a real VS Code (code-server) driven by Chromium: install the packaged
// extension, open a prompt from a fixture workspace, and check what a person sees —
// inlay hints, the budget diagnostic in the Problems panel, the status bar, a hover on a
// reference. Screenshots go to vscode-extension/artifacts/.
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
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget input", { timeout: 20_000 });
  await page.keyboard.type("review.prompt.md");
  await page.waitForTimeout(800);
  await page.keyboard.press("Enter");
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
  const statusItem = page.locator(".statusbar-item").filter({ hasText: /\d[\d,]*\stok/ }).first();
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

  // A user setting the user sets wins over the workspace's tokenls.toml (editorFirst).
  // Set it as a person would: in the user settings JSON, saved.
  const settingsFile = path.join(userData, "User", "settings.json");
  const userSettings = JSON.parse(fs.readFileSync(settingsFile, "utf8"));
  await page.keyboard.press("Control+Shift+P");
  await page.waitForSelector(".quick-input-widget input", { timeout: 20_000 });
  await page.keyboard.type("Preferences: Open User Settings (JSON)");
  await page.waitForTimeout(800);
  await page.keyboard.press("Enter");
  await page.waitForSelector(".monaco-editor .view-lines", { timeout: 20_000 });
  await page.waitForTimeout(1000);
  await page.locator(".monaco-editor .view-lines").filter({ hasText: "tokenls.server.command" }).first().click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(JSON.stringify({ ...userSettings, "tokenls.encoding": "o200k_base" }, null, 2));
  await page.keyboard.press("Control+S");
  await page.waitForTimeout(1000);
  // Back to the prompt.
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget input", { timeout: 20_000 });
  await page.keyboard.type("review.prompt.md");
  await page.waitForTimeout(800);
  await page.keyboard.press("Enter");
  const before = results.statusBar;
  const changed = page
    .locator(".statusbar-item")
    .filter({ hasText: /\d[\d,]*\stok/ })
    .filter({ hasNotText: before })
    .first();
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
