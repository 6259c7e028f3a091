"""A prompt as text: open documents, their outline (headings, frontmatter) and YAML data."""
