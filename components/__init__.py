"""Custom Streamlit components (front-end assets vendored under static/, no CDN)."""
