#!/usr/bin/env python3
"""Smoke test: Python grpcio + grpcio-reflection against a running `mediation serve`.

Usage: smoke.py HOST:PORT NOTIFICATIONS_JSONL

Everything is discovered through server reflection: no generated stubs, no .proto compile.
Messages are built from descriptors fetched with ProtoReflectionDescriptorDatabase and called
with generic unary calls (channel.unary_unary). Prints one line per step, then
"grpcio smoke: N passed, M failed"; exits non-zero when any step fails.
"""

import json
import sys
import time
import traceback

import grpc
from google.protobuf import descriptor_pool, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

IDENTITY = "mediation.identity.v1.IdentityService"
HEALTH = "grpc.health.v1.Health"
PHONE = "13800000077"
PHONE_E164 = "+8613800000077"
PASSWORD = "correct horse battery"
DISPLAY_NAME = "测试"
CALL_TIMEOUT = 10.0


class Skipped(Exception):
    """A step could not run because an earlier step it depends on failed."""


class Client:
    def __init__(self, channel):
        self.channel = channel
        self.reflection_db = ProtoReflectionDescriptorDatabase(channel)
        self.pool = descriptor_pool.DescriptorPool(self.reflection_db)

    def message(self, full_name):
        return message_factory.GetMessageClass(self.pool.FindMessageTypeByName(full_name))

    def call(self, service, method, fields, metadata=None):
        """A generic unary call, typed entirely by the reflected descriptors."""
        method_desc = self.pool.FindServiceByName(service).FindMethodByName(method)
        request_cls = message_factory.GetMessageClass(method_desc.input_type)
        response_cls = message_factory.GetMessageClass(method_desc.output_type)
        stub = self.channel.unary_unary(
            f"/{service}/{method}",
            request_serializer=request_cls.SerializeToString,
            response_deserializer=response_cls.FromString,
        )
        return stub(request_cls(**fields), timeout=CALL_TIMEOUT, metadata=metadata)

    def enum_number(self, enum_full_name, value_name):
        return self.pool.FindEnumTypeByName(enum_full_name).values_by_name[value_name].number


def read_code(path, to, deadline_secs=10.0):
    """The latest one-time code sent to `to`, polling the JSON-lines sink until it shows up."""
    deadline = time.monotonic() + deadline_secs
    while True:
        code = None
        try:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    entry = json.loads(line)
                    if entry.get("to") == to and entry.get("code"):
                        code = str(entry["code"])
        except FileNotFoundError:
            pass
        if code is not None:
            return code
        if time.monotonic() > deadline:
            raise AssertionError(f"no code for {to} in {path} within {deadline_secs:.0f}s")
        time.sleep(0.1)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def main():
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} HOST:PORT NOTIFICATIONS_JSONL", file=sys.stderr)
        return 2
    address, notifications = sys.argv[1], sys.argv[2]

    channel = grpc.insecure_channel(address)
    try:
        grpc.channel_ready_future(channel).result(timeout=CALL_TIMEOUT)
    except grpc.FutureTimeoutError:
        print(f"FAIL  connect: {address} not ready within {CALL_TIMEOUT:.0f}s")
        print("grpcio smoke: 0 passed, 1 failed")
        return 1
    client = Client(channel)
    state = {}
    results = []

    def need(*keys):
        missing = [k for k in keys if k not in state]
        if missing:
            raise Skipped(f"needs {', '.join(missing)} from an earlier step")
        return [state[k] for k in keys]

    def step(name, fn):
        started = time.monotonic()
        try:
            detail = fn()
        except Skipped as err:
            results.append(False)
            print(f"FAIL  {name}: skipped, {err}")
        except grpc.RpcError as err:
            results.append(False)
            print(f"FAIL  {name}: {err.code().name}: {err.details()}")
        except Exception as err:  # noqa: BLE001 - report every failure and carry on
            results.append(False)
            print(f"FAIL  {name}: {type(err).__name__}: {err}")
            traceback.print_exc(file=sys.stderr)
        else:
            results.append(True)
            ms = (time.monotonic() - started) * 1000
            print(f"ok    {name} ({ms:.0f} ms){': ' + detail if detail else ''}")

    # 1. Reflection: list services, and resolve the service descriptors through the pool.
    def list_services():
        services = sorted(client.reflection_db.get_services())
        for wanted in (IDENTITY, HEALTH):
            check(wanted in services, f"{wanted} not listed; got {services}")
            client.pool.FindServiceByName(wanted)  # pulls the file and its imports via reflection
        state["services"] = services
        return ", ".join(services)

    # 2. grpc.health.v1.Health/Check for the whole server.
    def health():
        resp = client.call(HEALTH, "Check", {"service": ""})
        serving = client.enum_number("grpc.health.v1.HealthCheckResponse.ServingStatus", "SERVING")
        check(resp.status == serving, f"status {resp.status}, want SERVING ({serving})")
        return "SERVING"

    # 3. RegisterResident.
    def register():
        resp = client.call(
            IDENTITY, "RegisterResident", {"phone": PHONE, "password": PASSWORD, "display_name": DISPLAY_NAME}
        )
        check(resp.account.id, "no account id")
        check(resp.account.display_name == DISPLAY_NAME, f"display_name {resp.account.display_name!r}")
        check(not resp.account.phone_verified, "new account already verified")
        check(resp.HasField("code_expires_at"), "no code_expires_at")
        state["account_id"] = resp.account.id
        return f"account {resp.account.id}, code expires {resp.code_expires_at.ToJsonString()}"

    # 4. Read the code from the file sink, VerifyPhone.
    def verify():
        need("account_id")
        code = read_code(notifications, PHONE_E164)
        resp = client.call(IDENTITY, "VerifyPhone", {"phone": PHONE, "code": code})
        check(resp.account.phone_verified, "account not verified")
        check(resp.account.id == state["account_id"], "a different account was verified")
        return f"code {code} from {notifications}"

    # 5. Login.
    def login():
        need("account_id")
        resp = client.call(IDENTITY, "Login", {"login": PHONE, "password": PASSWORD})
        check(resp.access_token and resp.refresh_token, "empty tokens")
        state["access"], state["refresh"] = resp.access_token, resp.refresh_token
        return f"access expires {resp.access_expires_at.ToJsonString()}"

    # 6. GetMe with a bearer token.
    def get_me():
        (access,) = need("access")
        resp = client.call(IDENTITY, "GetMe", {}, metadata=(("authorization", f"Bearer {access}"),))
        check(resp.phone_masked == "138****0077", f"phone_masked {resp.phone_masked!r}")
        check(resp.id == state["account_id"], f"id {resp.id!r}")
        check(resp.display_name == DISPLAY_NAME, f"display_name {resp.display_name!r}")
        resident = client.enum_number("mediation.identity.v1.Role", "ROLE_RESIDENT")
        check(resp.role == resident, f"role {resp.role}, want ROLE_RESIDENT")
        return f"phone_masked {resp.phone_masked}, role ROLE_RESIDENT"

    # 7. Refresh: a new pair, the refresh token rotated.
    def refresh():
        (old,) = need("refresh")
        resp = client.call(IDENTITY, "Refresh", {"refresh_token": old})
        check(resp.access_token and resp.refresh_token, "empty tokens")
        check(resp.refresh_token != old, "refresh token not rotated")
        state["refresh"] = resp.refresh_token
        return "refresh token rotated"

    # 8. Logout with the current refresh token.
    def logout():
        (current,) = need("refresh")
        resp = client.call(IDENTITY, "Logout", {"refresh_token": current})
        check(resp.ByteSize() == 0, "non-empty LogoutResponse")
        return None

    # 9. A malformed phone is INVALID_ARGUMENT.
    def malformed():
        try:
            client.call(
                IDENTITY, "RegisterResident", {"phone": "12345", "password": PASSWORD, "display_name": DISPLAY_NAME}
            )
        except grpc.RpcError as err:
            check(err.code() == grpc.StatusCode.INVALID_ARGUMENT, f"got {err.code().name}: {err.details()}")
            return f"INVALID_ARGUMENT: {err.details()}"
        raise AssertionError("a malformed phone was accepted")

    step("reflection ListServices", list_services)
    step("Health/Check", health)
    step("RegisterResident", register)
    step("VerifyPhone", verify)
    step("Login", login)
    step("GetMe", get_me)
    step("Refresh", refresh)
    step("Logout", logout)
    step("RegisterResident malformed phone", malformed)

    channel.close()
    passed = sum(results)
    failed = len(results) - passed
    print(f"grpcio smoke: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
