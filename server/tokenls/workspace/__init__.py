"""A workspace root: its resolved settings, tokenizer choice and the services it hands out."""
