"""The burst page's own reading of its input (burst_map: the result's tables in either shape,
the damaged pipe, the [maps] warning circle, the panel's words), the warning circle's sum
(warning_radius_m) and the one map's advice layers (_advice_layers), for the mistakes a full
mutation-testing pass of maps.py found no test would catch (docs/mutants.md).
"""

from __future__ import annotations

import dataclasses

from test_maps_mutants import _incident_net, as_the_cli_hands_it, page_data

from gasnet import maps

# -- the burst page ----------------------------------------------------------------------------


def test_burst_page_of_tables_indexed_by_id_that_also_carry_it():
    # Each table indexed by its id and still holding it as a column (set_index(..., drop=
    # False), a common way to look rows up): the very page of the tables with the ids as
    # columns. The valves failed with pandas' "'valve_id' is both an index level and a column
    # label, which is ambiguous" before.
    # Planted: maps.py: burst_map's `res.pipes if "edge_id" in res.pipes.columns` -> `if (...)
    #   and False`, "XXedge_idXX", "EDGE_ID"
    # Planted: maps.py: burst_map's flat(res.valves, "valve_id") -> None, "XXvalve_idXX",
    #   "VALVE_ID"; flat(res.customers, "customer_id") -> None, "XXcustomer_idXX", "CUSTOMER_ID"
    net = _incident_net()
    flat = as_the_cli_hands_it(net.burst(pipe="P3"))
    both = dataclasses.replace(
        flat,
        pipes=flat.pipes.set_index("edge_id", drop=False),
        valves=flat.valves.set_index("valve_id", drop=False),
        customers=flat.customers.set_index("customer_id", drop=False),
    )
    assert page_data(maps.burst_map(net, both)) == page_data(maps.burst_map(net, flat))
