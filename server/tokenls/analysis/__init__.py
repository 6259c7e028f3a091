"""What a prompt costs: the open document, its own text, references and budget findings, and how that is shown."""
