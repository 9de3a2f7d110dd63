"""Scenarios: save, open, share by link, duplicate, delete; starting points; consultation notes; CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.errors import DataError
from lib.export import assignment_csv, import_assignment
from lib.store import NOTE_KINDS, StoreError
from lib.text import md, plain
from ui import browser, data_loading, presentation, session, workspace

net = session.network()
workspace.ensure_examples()
store = workspace.store()
hist = session.history()
info = workspace.loaded()
dirty = workspace.is_dirty()
readonly = workspace.view_only()

st.markdown("## Scenarios")
workspace.show_message()


def _link(token: str) -> str:
    base = st.context.url.split("?")[0].rsplit("/", 1)[0] if st.context.url else ""
    return f"{base}/?{workspace.LINK}={token}{presentation.link_suffix()}"  # presenting: it opens presenting


# --- the current scenario -----------------------------------------------------------------------
with st.container(border=True):
    c1, c2 = st.columns([3, 2])
    with c1:
        state = ("read-only view" if readonly else "unsaved changes" if dirty else "saved" if info else
                 "not saved yet")
        where = f"saved as version {info.version}" if info else "not in the store"
        st.markdown(f"### {md(hist.present.name)}")
        note = ""
        if info and info.read_only:
            note = " · an example: saving makes your own copy"
        elif info and not info.can_save_over and not readonly:
            note = " · you do not hold its editing link: saving makes your own copy"
        st.caption(f"{state} · {where}{note}")
        if info and info.edit_token:
            st.markdown("**Editing link** (whoever has it can change this scenario: share it only with co-authors):")
            st.code(_link(info.edit_token), language=None)
        if info and info.view_token:
            st.markdown("**Read-only link** (for partners and the board: they can look, not change):")
            st.code(_link(info.view_token), language=None)
    with c2:
        st.text_input("Your name (recorded on saves and notes)", key=workspace.AUTHOR, max_chars=200,
                      disabled=readonly)
        if readonly:
            st.info("Read-only view: saving, notes and settings are switched off. Make your own copy to try "
                    "changes; the original stays as it is.")
            if st.button("Make my own copy", type="primary", key="make_copy"):
                workspace.make_own_copy()
                st.rerun()
        elif info is not None and info.can_save_over and st.button("Save", type="primary", disabled=not dirty,
                                                                   key="save"):
            workspace.save()
            st.rerun()
        with st.form("save_as", border=False):
            title = "Save as a new scenario" if info is None or info.can_save_over else "Save as your own copy"
            st.markdown(f"**{title}**")
            suggested = "" if info is None else f"{info.name} (copy)"
            new_name = st.text_input("Name (required)", value=suggested[:200], max_chars=200, key="save_as_name",
                                     disabled=readonly, placeholder="e.g. Three lots, north and south")
            description = st.text_area("Description", max_chars=5000, key="save_as_description", height=80,
                                       disabled=readonly)
            if st.form_submit_button("Save as new", disabled=readonly):
                if workspace.save_as(new_name, description):
                    st.rerun()
                workspace.show_message()

# --- a refused save: three ways on ---------------------------------------------------------------
if info is not None and st.session_state.get(workspace.CONFLICT) == info.id:
    with st.container(border=True, key="conflict_box"):
        st.markdown("**Your changes are still here, unsaved.** Choose how to go on:")
        k1, k2, k3 = st.columns(3)
        if k1.button("Reload theirs (drop my changes)", key="conflict_reload"):
            workspace.reload_theirs()
            st.rerun()
        if k2.button("Save mine as a copy", key="conflict_copy", type="primary"):
            workspace.save_as(f"{info.name} (my version)"[:200])
            st.rerun()
        if k3.button("Compare with theirs", key="conflict_compare"):
            st.session_state["compare_pick"] = ["__current__", info.id]
            st.switch_page("views/compare.py")

# --- saved scenarios and starting points -----------------------------------------------------------
st.markdown("### Open a scenario")
if workspace.scoped():
    st.caption("This session was opened by a share link: it shows only that link's scenario and your own copies.")
search = st.text_input("Search by name, description or author", key="scenario_search", max_chars=200)
try:
    entries = workspace.visible(store.list(search=search))
except (StoreError, ValueError) as exc:
    st.error(md(str(exc)))
    entries = []
here = [e for e in entries if e.dataset == net.dataset.name]
elsewhere = [e for e in entries if e.dataset != net.dataset.name]
granted = store.granted_ids(browser.browser_key())
if not here:
    st.caption("No saved scenario of this dataset matches.")
else:
    table = pd.DataFrame([{
        "Name": plain(e.name), "Kind": "example" if e.is_example else "yours" if e.id in granted else "",
        "Author": plain(e.author), "Updated": e.updated_at.strftime("%Y-%m-%d %H:%M"), "Version": e.version}
        for e in here])
    picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun",
                          selection_mode="single-row", key="scenario_table")
    rows = picked.selection.rows if picked is not None else []
    if rows and rows[0] < len(here):
        entry = here[rows[0]]
        own = store.granted(browser.browser_key(), entry.id) if entry.id in granted and not entry.read_only else None
        mine = own is not None  # this browser holds the editing right: rename and delete are offered
        st.markdown(f"**{md(entry.name)}** · {md(entry.description)}")
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
                workspace.show_message()
        if not readonly and b2.button("Duplicate", key="duplicate_entry"):
            try:
                copy = store.duplicate(entry.id, f"{entry.name} (copy)"[:200], author=workspace.author())
                store.grant(browser.browser_key(), copy.id, copy.edit_token)
                st.success(f"Duplicated as {md(copy.name)}.")
            except (StoreError, ValueError) as exc:
                st.error(md(str(exc)))
        if mine and not readonly:
            with b3.popover("Delete…"):
                st.write(f"Delete **{md(entry.name)}**? This cannot be undone from the app.")
                if st.button("Yes, delete", type="primary", key="confirm_delete"):
                    try:
                        store.delete(entry.id, edit_token=own.edit_token, author=workspace.author())
                        st.rerun()
                    except (StoreError, ValueError) as exc:
                        st.error(md(str(exc)))
            new_name = st.text_input("Rename to", key="rename_to", max_chars=200)
            if st.button("Rename", key="rename_entry", disabled=not new_name.strip()):
                try:
                    store.rename(entry.id, new_name.strip(), entry.version, edit_token=own.edit_token,
                                 author=workspace.author())
                    st.rerun()
                except (StoreError, ValueError) as exc:
                    st.error(md(str(exc)))
        elif not entry.is_example:
            st.caption("Renaming and deleting are for whoever holds its editing link.")
if elsewhere and not workspace.scoped():
    with st.expander(f"Scenarios of other datasets ({len(elsewhere)})"):
        st.caption("They are evaluated only on their own dataset: opening one loads it first (a county by name; "
                   "uploaded data must be loaded again on the Data page).")
        for i, e in enumerate(elsewhere[:50]):
            o1, o2 = st.columns([4, 1])
            o1.markdown(f"**{md(e.name)}** · {md(e.dataset)} · {e.updated_at:%Y-%m-%d %H:%M}")
            if o2.button("Load and open", key=f"open_other_{i}"):
                if data_loading.load_named(e.dataset) and workspace.open_stored(e.id):
                    st.switch_page("views/plan.py")
                workspace.say("error", f"{md(e.dataset)} is not a dataset that can be loaded by name: load it on "
                                       "the Data page, then open the scenario.")
                st.rerun()

# --- consultation notes ---------------------------------------------------------------------------------
st.markdown("### Consultation notes")
if info is None:
    st.caption("Save the scenario to attach benefits, challenges and comments to it or to one of its groups.")
else:
    can_note = not readonly and (info.edit_token is not None or info.read_only)
    if not can_note and not readonly:
        st.caption("Notes can be added by whoever holds the editing link (or on the shared examples).")
    with st.form("add_note"):
        n1, n2 = st.columns([1, 1])
        kind = n1.selectbox("Kind", NOTE_KINDS, key="note_kind", disabled=not can_note)
        group = n2.selectbox("About", ["(whole scenario)", *hist.present.groups()], key="note_group",
                             format_func=plain, disabled=not can_note)
        text = st.text_area("Note", max_chars=5000, key="note_text", disabled=not can_note)
        if st.form_submit_button("Add note", disabled=not can_note) and text.strip():
            if workspace.add_note(text.strip(), kind, None if group == "(whole scenario)" else group):
                st.rerun()
            workspace.show_message()
    notes = workspace.notes_for_export()
    if notes:
        st.dataframe(pd.DataFrame([{"When": n["when"], "Kind": n["kind"], "About": plain(n["group"]) or
                                    "whole scenario", "Note": plain(n["text"], 2000), "Author": plain(n["author"])}
                                   for n in notes]), hide_index=True, width="stretch")

# --- assignment CSV ----------------------------------------------------------------------------------------
st.markdown("### Assignment CSV")
st.caption("Columns: centre_id, group, status (open/closed/merged), lot_route, lead_agency, merged_into. "
           "A file exported here and imported again gives the same scenario.")
st.download_button("Download assignment CSV", lambda: assignment_csv(hist.present), file_name="assignment.csv",
                   mime="text/csv", key="download_assignment")
if not readonly:
    upload = st.file_uploader("Import an assignment CSV or XLSX", type=["csv", "xlsx"], key="assignment_upload")
    if upload is not None and st.button("Apply imported assignment", key="apply_assignment"):
        try:
            session.commit(import_assignment(upload.getvalue(), hist.present, upload.name))
            st.success("Imported: the scenario on the Plan page now follows the file (undo to go back).")
        except DataError as exc:
            data_loading.show_error(exc, "Not imported: the scenario is unchanged.")
