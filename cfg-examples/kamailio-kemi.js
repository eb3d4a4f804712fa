// SPDX-License-Identifier: MIT OR Apache-2.0
// kamailio-kemi.js — acm from a KEMI JavaScript routing script (app_jsdt).
//
// KSR.acm.check(caller, callee)                                   -> 1 allow, 2 flag, -1 block
// KSR.acm.check_ext(caller, callee, source_ip, trunk, pai, attestation)  (same codes; "" = absent)
// KSR.acm.get(key)  key: action, reasons, alert_id, distinct_callers, cli_calls, check_us, reason_bits
//
// Demo/test script: INVITEs are answered here (403 on block, 200 otherwise)
// with the verdict in X-ACM-* headers. In production replace the 200 with
// KSR.tm.t_relay() (and keep the 403).

function ksr_request_route() {
    if (KSR.is_CANCEL() || KSR.is_ACK()) {
        KSR.x.exit();
    }
    if (!KSR.is_INVITE()) {
        KSR.sl.sl_send_reply(200, "OK");
        KSR.x.exit();
    }
    // gete: "" instead of null when the value is missing
    var caller = KSR.pv.gete("$fU");
    var callee = KSR.pv.gete("$rU");
    var rc;
    if (KSR.hdr.is_present("X-ACM-Ext") > 0) {
        rc = KSR.acm.check_ext(caller, callee, KSR.pv.gete("$si"), "trunk-js",
                KSR.pv.gete("$(ai{uri.user})"), "");
    } else {
        rc = KSR.acm.check(caller, callee);
    }
    KSR.hdr.append_to_reply("X-ACM-Action: " + KSR.acm.get("action") + "\r\n");
    KSR.hdr.append_to_reply("X-ACM-Code: " + rc + "\r\n");
    KSR.hdr.append_to_reply("X-ACM-Distinct-Callers: " + KSR.acm.get("distinct_callers") + "\r\n");
    if (rc < 0) {
        KSR.hdr.append_to_reply("X-ACM-Reasons: " + KSR.acm.get("reasons") + "\r\n");
        KSR.sl.sl_send_reply(403, "Forbidden");
        KSR.x.exit();
    }
    KSR.sl.sl_send_reply(200, "OK");
    KSR.x.exit();
}
