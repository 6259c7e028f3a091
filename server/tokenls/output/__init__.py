"""What the commands print: names quoted safely, terminal colour, atomic output files."""
