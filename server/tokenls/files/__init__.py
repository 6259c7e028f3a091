"""Reading the tree safely: regular files only, decoded text, gitignore-aware walks."""
