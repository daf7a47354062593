"""Results rendered: text, tables, files written whole, HTML (Jinja2 templates) and charts."""
