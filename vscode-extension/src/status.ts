// The status bar item: the active prompt's total and share of its budget, or a pending
// mark while the document has changed and its fresh count has not arrived yet.
import * as vscode from "vscode";
import { DocumentTokens, formatCount } from "./protocol";

export const PENDING_TEXT = "$(sync~spin) tokens…";

export class TokenStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
    this.item.name = "tokenls";
    this.item.command = command;
  }

  pending(): void {
    this.item.text = PENDING_TEXT;
    this.item.tooltip = "tokenls: counting…";
    this.item.backgroundColor = undefined;
    this.item.show();
  }

  show(counted: DocumentTokens): void {
    this.item.text = `$(symbol-number) ${figure(counted)}`;
    this.item.tooltip = tooltip(counted);
    this.item.backgroundColor = background(counted.level);
    this.item.show();
  }

  hide(): void {
    this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}

function figure(counted: DocumentTokens): string {
  const mark = counted.exact ? "" : "≈";
  const share = counted.budget ? ` · ${Math.round((counted.tokens / counted.budget) * 100)}%` : "";
  return `${mark}${formatCount(counted.tokens)} tok${share}`;
}

function tooltip(counted: DocumentTokens): string {
  const tokens = formatCount(counted.tokens);
  return counted.budget
    ? `${tokens} of ${formatCount(counted.budget)} tokens (${counted.budgetSource ?? "budget"}), ${counted.encoding}`
    : `${tokens} tokens, ${counted.encoding}: no budget set`;
}

function background(level: string | undefined): vscode.ThemeColor | undefined {
  if (level === "error") {
    return new vscode.ThemeColor("statusBarItem.errorBackground");
  }
  if (level === "warning") {
    return new vscode.ThemeColor("statusBarItem.warningBackground");
  }
  return undefined;
}
