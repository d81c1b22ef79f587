"""Every malformed or out-of-spec frame from the CSMS gets the CALLERROR Part 4 names, and the station keeps working.

The table below is the contract (Part 4 sections 4.2.3 and 4.3); the message layer's unit tests check the same
mapping in-process.
"""
import json

import pytest

from conftest import boot_accepted

GET_HEARTBEAT = {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}

# (name, raw frame, expected messageId in the CALLERROR, expected error code)
CASES = [
    ("not JSON", "this is not json", "-1", "RpcFrameworkError"),
    ("truncated JSON", '[2, "m1", "GetVariables", {', "-1", "RpcFrameworkError"),
    ("not an array", '{"hello": 1}', "-1", "RpcFrameworkError"),
    ("messageId not a string", '[2, 17, "GetVariables", {}]', "-1", "RpcFrameworkError"),
    ("messageId too long", json.dumps([2, "x" * 37, "GetVariables", GET_HEARTBEAT]), "-1", "RpcFrameworkError"),
    ("unknown message type", '[7, "m7", "GetVariables", {}]', "m7", "MessageTypeNotSupported"),
    ("CALL with 3 elements", '[2, "m8", "GetVariables"]', "m8", "ProtocolError"),
    ("unknown action", '[2, "m9", "FooBar", {}]', "m9", "NotImplemented"),
    ("known action not supported yet", '[2, "m10", "SetDisplayMessage", {"message": {"id": 1, "priority": "AlwaysFront", '
     '"message": {"format": "ASCII", "content": "hi"}}}]', "m10", "NotSupported"),
    ("payload not an object", '[2, "m11", "GetVariables", [1, 2]]', "m11", "FormatViolation"),
    ("unknown property", json.dumps([2, "m12", "GetVariables", dict(GET_HEARTBEAT, extra=1)]), "m12", "FormatViolation"),
    ("required field missing", '[2, "m13", "GetVariables", {}]', "m13", "OccurrenceConstraintViolation"),
    ("empty array below minItems", '[2, "m14", "GetVariables", {"getVariableData": []}]', "m14",
     "OccurrenceConstraintViolation"),
    ("wrong type", '[2, "m15", "Reset", {"type": "Immediate", "evseId": "one"}]', "m15", "TypeConstraintViolation"),
    ("enum value not allowed", '[2, "m16", "Reset", {"type": "Sometimes"}]', "m16", "PropertyConstraintViolation"),
    ("string too long", json.dumps([2, "m17", "GetVariables", {"getVariableData": [
        {"component": {"name": "C" * 51}, "variable": {"name": "V"}}]}]), "m17", "PropertyConstraintViolation"),
]


@pytest.fixture
def booted(csms, agent):
    station = agent()
    boot_accepted(csms)
    return station


@pytest.mark.parametrize("name,frame,message_id,code", CASES, ids=[c[0] for c in CASES])
def test_malformed_frame_gets_its_callerror(csms, booted, name, frame, message_id, code):
    mark = csms.mark()
    csms.send_raw(frame)
    answer = csms.wait_for(lambda f: f.direction == "in" and f.type == 4, start=mark, what="CALLERROR")
    assert (answer.id, answer.message[2]) == (message_id, code), answer.text
    # Still connected and working.
    after = csms.call("GetVariables", GET_HEARTBEAT)
    assert after.type == 3 and after.payload["getVariableResult"][0]["attributeValue"]
    assert booted.proc.poll() is None


def test_malformed_answers_are_dropped_without_reply(csms, booted):
    mark = csms.mark()
    csms.send_raw('[3, "no-such-call", {"x": 1}]')
    csms.send_raw('[4, "no-such-call", "GenericError"]')
    after = csms.call("GetVariables", GET_HEARTBEAT)
    assert after.type == 3
    assert not [f for f in csms.frames[mark:] if f.direction == "in" and f.type == 4]


def test_a_burst_of_garbage_does_not_crash(csms, booted):
    for i in range(200):
        csms.send_raw(["[", "]", "[2]", '[2,"a"]', "null", "\u0000", '[2,"x","Reset",null]'][i % 7])
    after = csms.call("GetVariables", GET_HEARTBEAT)
    assert after.type == 3
    assert booted.proc.poll() is None
