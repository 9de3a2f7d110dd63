"""Centre Planner domain library: pure Python, no Streamlit.

Vocabulary and formulas follow ``DESIGN.md``: areas (LSOAs), centres, reach
areas, groups (lots) and scenarios.
"""
