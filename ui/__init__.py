"""Streamlit glue shared by the pages (session state, cached resources). Domain logic lives in lib/."""
