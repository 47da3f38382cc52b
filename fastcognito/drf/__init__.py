"""Django REST Framework integration (see DESIGN.md §6)."""
