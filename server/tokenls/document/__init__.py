"""A prompt's structure as text: headings, sections, frontmatter, and the YAML it holds."""
