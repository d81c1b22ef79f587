"""Every malformed or out-of-spec frame from the CSMS gets the CALLERROR Part 4 names (sections 4.2.3 and 4.3), and
the station stays connected and keeps working.

CASES is the contract: edit a row to change an expectation.
"""
import json

import pytest

from conftest import boot_accepted

GET_HEARTBEAT = {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}
SET_DISPLAY_MESSAGE = {"message": {"id": 1, "priority": "AlwaysFront", "message": {"format": "ASCII", "content": "hi"}}}
UPDATE_FIRMWARE = {"requestId": 1, "firmware": {"location": "https://example.com/fw.bin",
                                                "retrieveDateTime": "2024-01-01T00:00:00Z"}}

# (case name, raw frame the CSMS sends, messageId expected in the CALLERROR, expected errorCode)
CASES = [
    # Not a readable RPC frame: messageId "-1" (section 4.2.3).
    ("not JSON", "this is not json", "-1", "RpcFrameworkError"),
    ("truncated JSON", '[2, "m1", "GetVariables", {', "-1", "RpcFrameworkError"),
    ("JSON object, not an array", '{"hello": 1}', "-1", "RpcFrameworkError"),
    ("empty array", "[]", "-1", "RpcFrameworkError"),
    ("array without messageId", "[2]", "-1", "RpcFrameworkError"),
    ("messageId not a string", '[2, 17, "GetVariables", {}]', "-1", "RpcFrameworkError"),
    ("messageId null", '[2, null, "GetVariables", {}]', "-1", "RpcFrameworkError"),
    ("messageId longer than 36", json.dumps([2, "x" * 37, "GetVariables", GET_HEARTBEAT]), "-1", "RpcFrameworkError"),
    # Broken after a well-formed envelope (the agent reads a payload only when it decodes it): still the frame's error,
    # before any refusal of the action.
    ("broken payload, unknown action", '[2, "m20", "FooBar", {"x": tru}]', "-1", "RpcFrameworkError"),
    ("broken payload, action not supported", '[2, "m21", "SetDisplayMessage", {"message": }]', "-1",
     "RpcFrameworkError"),
    ("valid frame followed by garbage", json.dumps([2, "m22", "GetVariables", GET_HEARTBEAT]) + " x", "-1",
     "RpcFrameworkError"),
    # Readable messageId.
    ("unknown message type 7", '[7, "m7", "GetVariables", {}]', "m7", "MessageTypeNotSupported"),
    ("CALL with 3 elements", '[2, "m8", "GetVariables"]', "m8", "ProtocolError"),
    ("unknown action", '[2, "m9", "FooBar", {}]', "m9", "NotImplemented"),
    ("known action not supported yet: SetDisplayMessage", json.dumps([2, "m10", "SetDisplayMessage",
                                                                      SET_DISPLAY_MESSAGE]), "m10", "NotSupported"),
    ("known action not supported yet: UpdateFirmware", json.dumps([2, "m18", "UpdateFirmware", UPDATE_FIRMWARE]),
     "m18", "NotSupported"),
    ("CALL with 5 elements, valid payload", json.dumps([2, "m23", "GetVariables", GET_HEARTBEAT, 1]), "m23",
     "ProtocolError"),
    ("payload an array", '[2, "m11", "GetVariables", [1, 2]]', "m11", "FormatViolation"),
    ("payload a string", '[2, "m19", "Heartbeat", "x"]', "m19", "FormatViolation"),
    ("unknown property (additionalProperties false)", json.dumps([2, "m12", "GetVariables",
                                                                  dict(GET_HEARTBEAT, extra=1)]), "m12",
     "FormatViolation"),
    ("required field missing", '[2, "m13", "GetVariables", {}]', "m13", "OccurrenceConstraintViolation"),
    ("empty array below minItems", '[2, "m14", "GetVariables", {"getVariableData": []}]', "m14",
     "OccurrenceConstraintViolation"),
    ("wrong type: evseId a string", '[2, "m15", "Reset", {"type": "Immediate", "evseId": "one"}]', "m15",
     "TypeConstraintViolation"),
    ("enum value not allowed", '[2, "m16", "Reset", {"type": "Sometimes"}]', "m16", "PropertyConstraintViolation"),
    ("string too long", json.dumps([2, "m17", "GetVariables", {"getVariableData": [
        {"component": {"name": "C" * 51}, "variable": {"name": "V"}}]}]), "m17", "PropertyConstraintViolation"),
]


@pytest.fixture
def booted(csms, agent):
    station = agent()
    boot_accepted(csms)
    return station


def still_working(csms, station):
    """The station answers a valid GetVariables and a TriggerMessage(Heartbeat) and sends the Heartbeat."""
    answer = csms.call("GetVariables", GET_HEARTBEAT)
    assert answer.type == 3 and answer.payload["getVariableResult"][0]["attributeValue"] == "300", answer.text
    answer = csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    assert answer.type == 3 and answer.payload["status"] == "Accepted", answer.text
    csms.wait_call("Heartbeat", start=csms.index(answer))
    assert station.proc.poll() is None
    assert len(csms.connections) == 1, "the station reconnected: it dropped the connection"


@pytest.mark.parametrize("name,frame,message_id,code", CASES, ids=[c[0] for c in CASES])
def test_malformed_frame_gets_its_callerror(csms, booted, name, frame, message_id, code):
    mark = csms.mark()
    csms.send_raw(frame)
    answer = csms.wait_for(lambda f: f.type in (3, 4), start=mark, what="the station's answer")
    assert (answer.type, answer.id, answer.error_code) == (4, message_id, code), answer.text
    still_working(csms, booted)


def test_answers_to_no_call_are_dropped_without_reply(csms, booted):
    mark = csms.mark()
    csms.send_raw('[3, "no-such-call", {"x": 1}]')
    csms.send_raw('[4, "no-such-call", "GenericError", "", {}]')
    still_working(csms, booted)
    assert not [f for f in csms.frames[mark:] if f.direction == "in" and f.type == 4]


def test_a_burst_of_garbage_does_not_crash(csms, booted):
    garbage = ["[", "]", "[2]", '[2,"a"]', "null", "\u0000", '[2,"x","Reset",null]', "[3]", '[4,"z"]', "{}", "1e999"]
    for i in range(220):
        csms.send_raw(garbage[i % len(garbage)])
    still_working(csms, booted)
