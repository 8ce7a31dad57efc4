"""The one application layer every front end calls (CLI, TUI, later the gateway).

Each function here wires config, the provider pool, the ledger, the repo lock and a
workflow, takes an event sink (`mom_cli.events`) and a `CancelToken`, and returns a
result object; none of them prints. Front ends render the events and the results.

    run_request   `mom run`          (service.run)
    fix_build     `mom fix-build`    (service.fix)
    milestone     `mom milestone N`  (service.milestone)
    ask           `mom ask`          (service.ask)
    preview_context  `mom context`   (service.context)
    cost, doctor, money             (service.info)
    undo, recent_runs  `mom undo`   (service.undo)
    review (accept / reject, diffs) (service.review)

The modules import the core lazily, so importing one stays cheap.
"""
