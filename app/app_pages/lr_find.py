"""LR finder: each LR range test's loss against the rate, with the rates it suggests marked, and the sweep beside it."""

from __future__ import annotations

import components as ui
import streamlit as st

from curvescope.report import range_tests

data = ui.loaded()

st.title("LR finder")
links = range_tests.range_tests(data.report)
if not links:
    st.info(
        "No LR range test here: a run whose learning rate rises every step, over a decade and a half or more, "
        "with the loss logged at each (fastai's lr_find, Lightning's Tuner.lr_find, torch-lr-finder, or a loop of your own)."
    )
    st.stop()

names = [link.test.run for link in links]
if st.session_state.get(ui.LR_TEST) not in names:
    st.session_state[ui.LR_TEST] = names[0]
chosen = st.selectbox("Range test", names, key=ui.LR_TEST)  # options are shown as plain text
link = links[names.index(chosen)]
test = link.test
marks = range_tests.marks_frame(test)
domain = range_tests.loss_domain(test)
st.vega_lite_chart(ui.range_test_chart(range_tests.points_frame(test), marks, domain), width="stretch")
st.caption(
    "Loss against the learning rate (log axis): the points as logged, the line smoothed (a centred moving average). "
    "The dashed rules are the rates the test suggests; the band around each is its range under three smoothing windows. "
    f"The loss axis stops at {domain[1]:.3g}, a third above where the loss started: the divergence climbs off the top."
)
if test.suggested is not None:
    st.success(
        f"Suggested rate: **{test.suggested:.3g}** (range {test.suggested_range[0]:.3g}-{test.suggested_range[1]:.3g}, "
        f"{test.suggested_by}); "
        f"minimum / 10: {test.minimum_over_10:.3g}"
        + (
            f"; cyclic base_lr {test.base_lr.value:.3g}, max_lr {test.max_lr.value:.3g} (also one-cycle's max_lr)"
            if test.base_lr and test.max_lr
            else ""
        )
    )
for note in test.notes:
    st.warning(ui.md(note))
st.dataframe(marks, hide_index=True, width="stretch")
if link.runs:
    st.subheader("The runs beside it")
    st.caption("Each run of the range test's folder, at the peak of its logged learning rate.")
    st.dataframe(range_tests.sweep_frame(link), hide_index=True, width="stretch")
    for line in link.lines()[1:]:
        st.markdown("- " + ui.md(line.strip()))
