"""Switchboard interop client on gRPC's C-core stack (Python grpcio), run by InteropTest.

Makes, against a running server, one call of each gRPC kind and prints what it saw as one JSON object:
a unary call (GetAgent), the bidirectional StreamCall carrying a WAV's audio in real time, a server stream
(WatchCall of that live call, opened from this client while the call streams), a client stream (UploadRecording)
and a refused call (CreateAgent without a name) whose google.rpc BadRequest details it decodes.

Usage: interop_client.py --stubs DIR --target HOST:PORT [--ca CA.pem] --key KEY --agent ID --wav FILE.wav
(DIR holds the modules grpc_tools.protoc generated from proto/ and the google.rpc declarations.)
"""
import argparse
import faulthandler
import json
import sys
import threading
import time
import wave

parser = argparse.ArgumentParser()
parser.add_argument("--stubs", required=True)
parser.add_argument("--target", required=True)
parser.add_argument("--ca")
parser.add_argument("--key", required=True)
parser.add_argument("--agent", required=True)
parser.add_argument("--wav", required=True)
args = parser.parse_args()
sys.path.insert(0, args.stubs)
faulthandler.dump_traceback_later(90, exit=True)  # a hung client says where it hangs

import grpc  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402
from switchboard.v1 import agents_pb2, agents_pb2_grpc, calls_pb2, calls_pb2_grpc  # noqa: E402

if args.ca:
    with open(args.ca, "rb") as f:
        channel = grpc.secure_channel(args.target, grpc.ssl_channel_credentials(root_certificates=f.read()))
else:
    channel = grpc.insecure_channel(args.target)
auth = [("authorization", "Bearer " + args.key)]
agents = agents_pb2_grpc.AgentServiceStub(channel)
calls = calls_pb2_grpc.CallServiceStub(channel)
result = {}

# unary
agent = agents.GetAgent(agents_pb2.GetAgentRequest(id=args.agent), metadata=auth, timeout=20)
result["unary_agent_id"] = agent.id

# bidirectional StreamCall with the WAV's samples, paced in real time, and a WatchCall of the same call
with wave.open(args.wav, "rb") as w:
    rate, channels, pcm = w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())
fmt = calls_pb2.AudioFormat(encoding=calls_pb2.AudioFormat.ENCODING_PCM16, sample_rate=rate, channels=channels,
                            container=calls_pb2.AudioFormat.CONTAINER_RAW)
accepted = threading.Event()
watching = threading.Event()


def requests():
    yield calls_pb2.StreamCallRequest(open=calls_pb2.OpenCall(
        agent_id=args.agent, direction=calls_pb2.OpenCall.DIRECTION_INBOUND, from_number="+14155550123", format=fmt))
    accepted.wait(20)
    watching.wait(20)
    time.sleep(0.5)  # the watch's stream is open on the server before the first word
    frame = rate // 50 * 2 * channels  # 20 ms
    start = time.monotonic()
    for n, i in enumerate(range(0, len(pcm), frame)):
        yield calls_pb2.StreamCallRequest(audio=pcm[i:i + frame])
        delay = start + (n + 1) * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    yield calls_pb2.StreamCallRequest(end=calls_pb2.EndCall(reason="hangup"))


watched = {"finals": [], "ended": False, "events": 0}


def watch(call_id):
    stream = calls.WatchCall(calls_pb2.WatchCallRequest(id=call_id), metadata=auth, timeout=120)
    watching.set()
    for event in stream:
        watched["events"] += 1
        if event.HasField("transcript") and event.transcript.is_final:
            watched["finals"].append(event.transcript.text)
        if event.HasField("ended"):
            watched["ended"] = True


stream_finals = []
watcher = None
for response in calls.StreamCall(requests(), metadata=auth, timeout=120):
    kind = response.WhichOneof("payload")
    if kind == "accepted":
        result["call_id"] = response.accepted.id
        watcher = threading.Thread(target=watch, args=(response.accepted.id,))
        watcher.start()
        accepted.set()
    elif kind == "transcript" and response.transcript.is_final:
        stream_finals.append(response.transcript.text)
    elif kind == "ended":
        result["ended_reason"] = response.ended.end_reason
watcher.join(60)
result["stream_finals"] = stream_finals
result["watch_finals"] = watched["finals"]
result["watch_ended"] = watched["ended"]

# client stream: the same WAV uploaded as a finished call's recording


def chunks():
    yield calls_pb2.UploadRecordingRequest(open=calls_pb2.OpenCall(
        agent_id=args.agent, direction=calls_pb2.OpenCall.DIRECTION_OUTBOUND, from_number="+14155550100",
        to_number="+14155550123", format=calls_pb2.AudioFormat(
            encoding=calls_pb2.AudioFormat.ENCODING_PCM16, sample_rate=rate, channels=channels,
            container=calls_pb2.AudioFormat.CONTAINER_WAV)))
    with open(args.wav, "rb") as f:
        data = f.read()
    for i in range(0, len(data), 32 * 1024):
        yield calls_pb2.UploadRecordingRequest(chunk=data[i:i + 32 * 1024])


uploaded = calls.UploadRecording(chunks(), metadata=auth, timeout=60)
result["upload_call_id"] = uploaded.id

# a refused call, and the google.rpc details the server attached
try:
    agents.CreateAgent(agents_pb2.CreateAgentRequest(agent=agents_pb2.Agent()), metadata=auth, timeout=20)
    result["refusal"] = None
except grpc.RpcError as e:
    details = dict(e.trailing_metadata() or ()).get("grpc-status-details-bin")
    violations = []
    if details:
        status = status_pb2.Status.FromString(details)
        for any_detail in status.details:
            if any_detail.type_url.endswith("/google.rpc.BadRequest"):
                bad = error_details_pb2.BadRequest.FromString(any_detail.value)
                violations += [{"field": v.field, "description": v.description} for v in bad.field_violations]
    result["refusal"] = {"code": e.code().name, "violations": violations}

print(json.dumps(result))
