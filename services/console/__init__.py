"""Use cases of the staff console: sign-in, the ledger, case actions, risk, statistics, audit.

Channel-neutral like the rest of ``services``: the aiohttp views in ``web.console`` only parse
requests and render templates; every permission check that guards data happens here too (a
view that forgot one still could not leak a case outside the staff member's units).
"""
