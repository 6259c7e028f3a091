"""What a prompt costs: its own text, references, budget findings, and how that is shown."""
