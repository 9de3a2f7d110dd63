"""Scenarios: save, open, share by link, duplicate, delete; starting points; consultation notes; CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.errors import DataError
from lib.export import assignment_csv, import_assignment
from lib.store import NOTE_KINDS, StoreError
from ui import session, workspace

net = session.network()
workspace.ensure_examples()
store = workspace.store()
hist = session.history()
info = workspace.loaded()
dirty = workspace.is_dirty()

st.markdown("## Scenarios")
workspace.show_message()

# --- the current scenario -----------------------------------------------------------------------
with st.container(border=True):
    c1, c2 = st.columns([3, 2])
    with c1:
        state = "unsaved changes" if dirty else "saved" if info else "not saved yet"
        where = f"saved as version {info.version}" if info else "not in the store"
        st.markdown(f"### {hist.present.name}")
        st.caption(f"{state} · {where}" + (" · read-only example: save a copy to keep changes"
                                           if info and info.read_only else ""))
        if info:
            st.markdown("**Share by link** (paste into an email or meeting chat):")
            base = st.context.url.split("?")[0].rsplit("/", 1)[0] if st.context.url else ""
            st.code(f"{base}/?scenario={info.id}", language=None)
            st.caption(f"Read-only view for people who should only look: {base}/?scenario={info.id}&view=1")
    with c2:
        st.text_input("Your name (recorded on saves and notes)", key=workspace.AUTHOR, max_chars=200)
        if workspace.view_only():
            st.info("Read-only view: open the link without `&view=1` to edit.")
        else:
            save_label = "Save" if info and not info.read_only else "Save as new"
            if st.button(save_label, type="primary", disabled=not dirty and info is not None, key="save"):
                workspace.save()
                st.rerun()
            with st.form("save_as", border=False):
                new_name = st.text_input("Save as (new name)", max_chars=200, key="save_as_name")
                description = st.text_area("Description", max_chars=5000, key="save_as_description", height=80)
                if st.form_submit_button("Save as copy") and new_name.strip():
                    workspace.save_as(new_name.strip(), description)
                    st.rerun()

# --- saved scenarios and starting points -----------------------------------------------------------
st.markdown("### Open a scenario")
search = st.text_input("Search by name, description or author", key="scenario_search")
entries = store.list(search=search, dataset=net.dataset.name)
if not entries:
    st.caption("No saved scenario matches.")
else:
    table = pd.DataFrame([{
        "Name": e.name, "Example": "example" if e.is_example else "", "Author": e.author,
        "Updated": e.updated_at.strftime("%Y-%m-%d %H:%M"), "Version": e.version, "id": e.id} for e in entries])
    picked = st.dataframe(table.drop(columns="id"), hide_index=True, width="stretch", on_select="rerun",
                          selection_mode="single-row", key="scenario_table")
    rows = picked.selection.rows if picked is not None else []
    if rows:
        entry = entries[rows[0]]
        st.markdown(f"**{entry.name}** · {entry.description[:300]}")
        b1, b2, b3 = st.columns(3)
        confirm_open = dirty and st.session_state.get("confirm_open") != entry.id
        if b1.button("Open" if not confirm_open else "Open (discard unsaved changes?)", key="open_entry"):
            if confirm_open:
                st.session_state["confirm_open"] = entry.id
                st.warning("You have unsaved changes. Save them first, or press Open again to discard them.")
            else:
                st.session_state.pop("confirm_open", None)
                if workspace.open_stored(entry.id):
                    st.switch_page("views/plan.py")
        if b2.button("Duplicate", key="duplicate_entry"):
            try:
                copy = store.duplicate(entry.id, f"{entry.name} (copy)", author=workspace.author())
                st.success(f"Duplicated as {copy.name!r}.")
            except (StoreError, ValueError) as exc:
                st.error(str(exc))
        if not entry.is_example:
            with b3.popover("Delete…"):
                st.write(f"Delete **{entry.name}**? This cannot be undone from the app.")
                if st.button("Yes, delete", type="primary", key="confirm_delete"):
                    store.delete(entry.id, author=workspace.author())
                    st.rerun()
        new_name = st.text_input("Rename to", key="rename_to", max_chars=200)
        if st.button("Rename", key="rename_entry", disabled=entry.read_only or not new_name.strip()):
            try:
                store.rename(entry.id, new_name.strip(), entry.version, author=workspace.author())
                st.rerun()
            except (StoreError, ValueError) as exc:
                st.error(str(exc))

# --- consultation notes ---------------------------------------------------------------------------------
st.markdown("### Consultation notes")
if info is None:
    st.caption("Save the scenario to attach benefits, challenges and comments to it or to one of its groups.")
else:
    notes = store.notes(info.id)
    with st.form("add_note"):
        n1, n2 = st.columns([1, 1])
        kind = n1.selectbox("Kind", NOTE_KINDS, key="note_kind")
        group = n2.selectbox("About", ["(whole scenario)", *hist.present.groups()], key="note_group")
        text = st.text_area("Note", max_chars=5000, key="note_text")
        if st.form_submit_button("Add note") and text.strip():
            store.add_note(info.id, text.strip(), kind, workspace.author(),
                           group_label=None if group == "(whole scenario)" else group)
            st.rerun()
    if notes:
        st.dataframe(pd.DataFrame([{"When": n.created_at.strftime("%Y-%m-%d %H:%M"), "Kind": n.kind,
                                    "About": n.group_label or "whole scenario", "Note": n.text, "Author": n.author}
                                   for n in notes]), hide_index=True, width="stretch")

# --- assignment CSV ----------------------------------------------------------------------------------------
st.markdown("### Assignment CSV")
st.caption("Columns: centre_id, group, status (open/closed/merged), lot_route, lead_agency, merged_into. "
           "A file exported here and imported again gives the same scenario.")
st.download_button("Download assignment CSV", lambda: assignment_csv(hist.present), file_name="assignment.csv",
                   mime="text/csv", key="download_assignment")
upload = st.file_uploader("Import an assignment CSV or XLSX", type=["csv", "xlsx"], key="assignment_upload")
if upload is not None and st.button("Apply imported assignment", key="apply_assignment"):
    try:
        session.commit(import_assignment(upload.getvalue(), hist.present, upload.name))
        st.success("Imported: the scenario on the Plan page now follows the file (undo to go back).")
    except DataError as exc:
        st.error(str(exc))
