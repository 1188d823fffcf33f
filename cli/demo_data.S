/* demo_data.S - the bundled demo outage, embedded so `faultline demo` needs
 * no files: fixtures/surge_breaks_update (a server update that breaks under
 * a viral traffic spike), as the generator in tests/gen wrote it. */
    .section .rodata
    .balign 16
    .globl fl_demo_logs_a, fl_demo_logs_a_end
fl_demo_logs_a:
    .incbin "fixtures/surge_breaks_update/logs-a.jsonl.zst"
fl_demo_logs_a_end:
    .balign 16
    .globl fl_demo_logs_b, fl_demo_logs_b_end
fl_demo_logs_b:
    .incbin "fixtures/surge_breaks_update/logs-b.jsonl.zst"
fl_demo_logs_b_end:
    .balign 16
    .globl fl_demo_deploys, fl_demo_deploys_end
fl_demo_deploys:
    .incbin "fixtures/surge_breaks_update/deploys.jsonl"
fl_demo_deploys_end:
    .section .note.GNU-stack,"",@progbits
