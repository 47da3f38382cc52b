"""Django integration (see DESIGN.md §6)."""
