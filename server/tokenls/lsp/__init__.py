"""LSP wiring: handlers and conversions only; the logic lives in the core modules."""
