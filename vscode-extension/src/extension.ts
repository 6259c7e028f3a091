// tokenls for VS Code: starts `tokenls serve`, shows the active prompt's tokens in the
// status bar, and offers a few commands. Counting, hints, diagnostics, hover and code
// actions all come from the language server.
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";
import {
  CLEAR_CACHE,
  COUNT_TEXT,
  DOCUMENT_TOKENS,
  DocumentTokens,
  formatCount,
  RATE_STATUS,
  TextTokens,
} from "./protocol";
import { countTextParams, selectedTexts, selectionMessage } from "./selection";
import { TokenStatus } from "./status";

const SETTINGS_SECTION = "tokenls";
const PIP_INSTALL = "python3 -m pip install tokenls";

let client: LanguageClient | undefined;
let extensionPackage: { contributes?: { configuration?: { properties?: Record<string, unknown> } } } = {};
let status: TokenStatus;
let refreshTimer: NodeJS.Timeout | undefined;
// Bumped whenever the active document's count goes stale: an answer to an older request
// is dropped, a newer one is on its way.
let generation = 0;
let last: DocumentTokens | undefined;

// Both VS Code and the language client accept these filters (language or glob pattern).
const DOCUMENT_SELECTOR: Array<{ language: string } | { pattern: string }> = [
  { language: "markdown" },
  { language: "plaintext" },
  { language: "prompt" },
  { language: "prompty" },
  { language: "instructions" },
  { language: "chatmode" },
  { pattern: "**/*.prompt.md" },
  { pattern: "**/*.instructions.md" },
  { pattern: "**/*.prompty" },
  { pattern: "**/*.prompt" },
  { pattern: "**/CLAUDE.md" },
  { pattern: "**/AGENTS.md" },
];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionPackage = context.extension.packageJSON;
  status = new TokenStatus("tokenls.showBreakdown");
  context.subscriptions.push(status);

  context.subscriptions.push(
    vscode.commands.registerCommand("tokenls.restartServer", async () => {
      await stopClient();
      await startClient(context);
    }),
    vscode.commands.registerCommand("tokenls.showBreakdown", showBreakdown),
    vscode.commands.registerCommand("tokenls.countSelection", countSelection),
    vscode.commands.registerCommand("tokenls.compressLog", compressLog),
    vscode.commands.registerCommand("tokenls.clearCache", clearCache),
    vscode.commands.registerCommand("tokenls.showRateStatus", showRateStatus),
    vscode.window.onDidChangeActiveTextEditor(() => countsStale(0)),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === vscode.window.activeTextEditor?.document && e.contentChanges.length) {
        countsStale(300);
      }
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("tokenls.server.command")) {
        await vscode.commands.executeCommand("tokenls.restartServer");
      } else if (e.affectsConfiguration(SETTINGS_SECTION)) {
        settingsChanged();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => settingsChanged()),
    // The server re-publishes diagnostics whenever counts change (settings, referenced
    // files, fetched URLs): the status bar follows.
    vscode.languages.onDidChangeDiagnostics((e) => {
      const active = vscode.window.activeTextEditor?.document.uri.toString();
      if (active && e.uris.some((uri) => uri.toString() === active)) {
        scheduleRefresh(50);
      }
    }),
  );
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}

// Settings that only the user's own settings may set: in an untrusted folder, the folder's
// values for these are ignored (VS Code's workspace trust; see package.json capabilities).
const RESTRICTED = new Set(["server.command", "cacheDir"]);

// Every tokenls.* setting the extension declares, except how to start the server, goes to
// the server under its own name; the server validates and honours each.
function serverKeys(): string[] {
  const declared = Object.keys(extensionPackage.contributes?.configuration?.properties ?? {});
  return declared
    .filter((key) => key.startsWith(`${SETTINGS_SECTION}.`))
    .map((key) => key.slice(SETTINGS_SECTION.length + 1))
    .filter((key) => !key.startsWith("server."));
}

// Only the values the user set (user, workspace or folder settings), never the defaults: a
// default sent as if chosen would override the project's tokenls.toml.
function explicitSettings(scope?: vscode.Uri): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  const trusted = vscode.workspace.isTrusted;
  const out: Record<string, unknown> = {};
  for (const key of serverKeys()) {
    const inspected = config.inspect(key);
    const value =
      !trusted && RESTRICTED.has(key)
        ? inspected?.globalValue
        : (inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue);
    if (value !== undefined && value !== null) {
      out[key] = value;
    }
  }
  return out;
}

async function serverCommand(): Promise<string[]> {
  const configured = vscode.workspace.getConfiguration(SETTINGS_SECTION).get<string | string[]>("server.command");
  const inspected = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect("server.command");
  const explicit = inspected?.globalValue ?? inspected?.workspaceValue ?? inspected?.workspaceFolderValue;
  if (explicit !== undefined) {
    return typeof configured === "string" ? configured.split(/\s+/).filter(Boolean) : (configured ?? []);
  }
  if (onPath("tokenls")) {
    return ["tokenls", "serve"];
  }
  const python = await pythonExtensionInterpreter();
  if (python) {
    return [python, "-m", "tokenls", "serve"];
  }
  return ["python3", "-m", "tokenls", "serve"];
}

function onPath(executable: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    try {
      fs.accessSync(path.join(dir, executable), fs.constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const python = vscode.extensions.getExtension("ms-python.python");
  if (!python) {
    return undefined;
  }
  try {
    const api = python.isActive ? python.exports : await python.activate();
    const details = api?.settings?.getExecutionDetails?.(vscode.workspace.workspaceFolders?.[0]?.uri);
    return details?.execCommand?.[0];
  } catch {
    return undefined;
  }
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const [command, ...args] = await serverCommand();
  const serverOptions: ServerOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    initializationOptions: { tokenls: explicitSettings() },
    middleware: {
      workspace: {
        // The server asks per folder (scopeUri): answer with what the user set there.
        configuration: (params) =>
          params.items.map((item) =>
            item.section === SETTINGS_SECTION
              ? explicitSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
              : null,
          ),
      },
    },
    outputChannelName: "tokenls",
  };
  client = new LanguageClient("tokenls", "tokenls", serverOptions, clientOptions);
  client.onDidChangeState((e) => {
    if (e.newState === State.Stopped) {
      status.hide();
    }
  });
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    const choice = await vscode.window.showErrorMessage(
      `tokenls: the language server could not start (${String(error)}). Install it with: ${PIP_INSTALL}, ` +
        "or set tokenls.server.command.",
      "Copy install command",
      "Open settings",
    );
    if (choice === "Copy install command") {
      await vscode.env.clipboard.writeText(PIP_INSTALL);
    } else if (choice === "Open settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "tokenls.server.command");
    }
    return;
  }
  context.subscriptions.push({ dispose: () => void stopClient() });
  countsStale(0);
}

// "Settings changed, ask me": the server pulls each folder's explicit settings.
function settingsChanged(): void {
  void client?.sendNotification("workspace/didChangeConfiguration", { settings: null });
  countsStale(500);
}

async function stopClient(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) {
    await current.stop();
  }
}

// The active document changed (or another one became active, or settings changed): its
// figure is stale until a fresh count arrives, so the status bar shows it pending.
function countsStale(delayMs: number): void {
  generation += 1;
  const editor = vscode.window.activeTextEditor;
  if (client && editor && isCounted(editor.document)) {
    status.pending();
  }
  scheduleRefresh(delayMs);
}

function scheduleRefresh(delayMs: number): void {
  if (refreshTimer) {
    clearTimeout(refreshTimer);
  }
  refreshTimer = setTimeout(() => void refreshStatus(), delayMs);
}

function isCounted(document: vscode.TextDocument): boolean {
  return vscode.languages.match(DOCUMENT_SELECTOR as vscode.DocumentFilter[], document) > 0;
}

async function refreshStatus(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!client || !editor || !isCounted(editor.document)) {
    status.hide();
    return;
  }
  const asked = { generation, document: editor.document, version: editor.document.version };
  let counted: DocumentTokens;
  try {
    counted = await client.sendRequest<DocumentTokens>(DOCUMENT_TOKENS, {
      textDocument: { uri: asked.document.uri.toString() },
    });
  } catch {
    if (asked.generation === generation) {
      status.hide();
    }
    return;
  }
  if (isCurrent(asked)) {
    last = counted;
    status.show(counted);
  }
}

// Whether an answer still describes what the user sees: no change or switch since it was
// asked for (the stale mark stays until the answer to the latest request).
function isCurrent(asked: { generation: number; document: vscode.TextDocument; version: number }): boolean {
  const active = vscode.window.activeTextEditor?.document;
  return asked.generation === generation && asked.document === active && asked.version === active.version;
}

async function showBreakdown(): Promise<void> {
  await refreshStatus();
  if (!last) {
    return;
  }
  const items: vscode.QuickPickItem[] = [
    { label: `Own text`, description: `${formatCount(last.ownTokens)} tok` },
    ...last.references.map((r) => ({
      label: `${r.kind === "variable" ? "$(symbol-variable)" : r.kind === "url" ? "$(globe)" : "$(file)"} ${r.target}`,
      description: r.status === "ok" ? `${formatCount(r.tokens)} tok` : r.status,
      detail: r.error ?? undefined,
    })),
  ];
  await vscode.window.showQuickPick(items, {
    title: `${formatCount(last.tokens)} tokens${last.budget ? ` of ${formatCount(last.budget)}` : ""}`,
  });
}

async function countSelection(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!client || !editor) {
    return;
  }
  if (!isCounted(editor.document)) {
    vscode.window.showInformationMessage("tokenls: this file is not one tokenls counts (Markdown, plain text, prompts)");
    return;
  }
  const texts = selectedTexts(editor);
  if (texts.length === 0) {
    vscode.window.showInformationMessage("tokenls: select the text to count");
    return;
  }
  try {
    const counted = await client.sendRequest<TextTokens>(COUNT_TEXT, countTextParams(editor.document, texts));
    vscode.window.showInformationMessage(selectionMessage(counted, texts));
  } catch (error) {
    vscode.window.showWarningMessage(`tokenls: the selection could not be counted (${String(error)})`);
  }
}

async function compressLog(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return;
  }
  // The server offers compression as code actions (so other editors get it too): run the
  // first one for the selection or cursor.
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
    "vscode.executeCodeActionProvider",
    editor.document.uri,
    editor.selection,
    vscode.CodeActionKind.RefactorRewrite.value,
    10,
  );
  const compress = actions?.find((a) => a.title.startsWith("Compress"));
  if (!compress) {
    vscode.window.showInformationMessage("tokenls: select a log (five lines or more) or place the cursor on a log reference");
    return;
  }
  if (compress.edit) {
    await vscode.workspace.applyEdit(compress.edit);
  }
}

async function clearCache(): Promise<void> {
  if (!client) {
    return;
  }
  const stats = await client.sendRequest<Record<string, unknown>>(CLEAR_CACHE, {});
  vscode.window.showInformationMessage(`tokenls: cache cleared (${stats.directory})`);
}

async function showRateStatus(): Promise<void> {
  if (!client) {
    return;
  }
  const result = await client.sendRequest<{ hosts: string[] }>(RATE_STATUS, {});
  vscode.window.showInformationMessage(result.hosts.length ? result.hosts.join(" · ") : "tokenls: no rate-limited hosts yet");
}
