// tokenls's own requests (see the server's lsp/server.py) and the shapes of their answers.

export const DOCUMENT_TOKENS = "tokenls/documentTokens";
export const COUNT_TEXT = "tokenls/countText";
export const CLEAR_CACHE = "tokenls/clearCache";
export const RATE_STATUS = "tokenls/rateStatus";

export interface ReferenceInfo {
  target: string;
  kind: string;
  tokens: number;
  status: string;
  error?: string | null;
}

export interface DocumentTokens {
  uri: string;
  encoding: string;
  tokens: number;
  ownTokens: number;
  exact: boolean;
  budget: number | null;
  budgetSource?: string | null;
  level?: string;
  references: ReferenceInfo[];
}

export interface CountTextParams {
  textDocument: { uri: string };
  texts: string[];
}

// The tokens of all the texts together, with the document's encoding.
export interface TextTokens {
  encoding: string;
  tokens: number;
  exact: boolean;
}

export function formatCount(tokens: number): string {
  return tokens.toLocaleString("en-US");
}
