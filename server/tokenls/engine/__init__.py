"""The counting engine: offline encodings, exact cuts, counts, the incremental document
model and LSP text positions. Pure: it imports nothing else of tokenls."""
