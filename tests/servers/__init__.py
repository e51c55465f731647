"""Test servers: real Gradio apps in their own virtualenvs (gradio_server) and a Hub stand-in (hub)."""
