"""The Streamlit quality console."""
