"""Signals of the organisation: apps that keep figures per unit subtree listen to them."""

from django.dispatch import Signal

# Sent inside the transaction, after units moved in the tree (the closure table changed), with
# `units`: the ids of every unit whose ancestors changed. Pre-aggregates by subtree must be recomputed.
unit_tree_changed = Signal()
