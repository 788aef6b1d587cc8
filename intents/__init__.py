"""The intent tree, text matching and the dialogue engine."""
