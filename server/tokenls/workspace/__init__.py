"""A workspace root: its resolved settings, the tokenizer, model and budget that apply to a file, and the services it hands out."""
