// "Count Tokens in Selection": the tokens of exactly the selected text (every selection),
// counted by the server with the document's encoding.
import * as vscode from "vscode";
import { CountTextParams, formatCount, TextTokens } from "./protocol";

export function selectedTexts(editor: vscode.TextEditor): string[] {
  return editor.selections
    .filter((selection) => !selection.isEmpty)
    .map((selection) => editor.document.getText(selection));
}

export function countTextParams(document: vscode.TextDocument, texts: string[]): CountTextParams {
  return { textDocument: { uri: document.uri.toString() }, texts };
}

// "tokenls: 57 tokens selected (3 lines, cl100k_base)"; several selections are summed.
export function selectionMessage(counted: TextTokens, texts: string[]): string {
  const mark = counted.exact ? "" : "≈";
  const unit = counted.tokens === 1 ? "token" : "tokens";
  return `tokenls: ${mark}${formatCount(counted.tokens)} ${unit} selected (${extent(texts)}, ${counted.encoding})`;
}

function extent(texts: string[]): string {
  if (texts.length > 1) {
    return `${texts.length} selections`;
  }
  // A selection of whole lines ends with a line break: that starts no further line.
  const lines = texts[0].replace(/(\r\n|\r|\n)$/, "").split(/\r\n|\r|\n/).length;
  return lines === 1 ? "1 line" : `${lines} lines`;
}
