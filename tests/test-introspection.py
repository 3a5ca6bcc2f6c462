# SPDX-License-Identifier: LGPL-2.1-or-later
# libfleet as a Python program sees it through Fleet-1.typelib: load a
# document, plan it against the fake runtime, read the plan.  Run by
# tests/test-introspection.sh; prints TAP.
import os
import sys
import tempfile

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Fleet", "1")
from gi.repository import Fleet, GLib  # noqa: E402

examples = sys.argv[1]
tests = []


def test(function):
    tests.append(function)
    return function


def load(name):
    with open(os.path.join(examples, name), "rb") as f:
        return Fleet.Document.new_from_bytes(GLib.Bytes.new(f.read()), None)


def plan_for(document, runtime):
    with tempfile.TemporaryDirectory() as state_dir:
        reconciler = Fleet.Reconciler.new(runtime, state_dir)
        return reconciler.plan(document)


@test
def document_loads():
    """a document loads from bytes, with its generation and services"""
    document = load("hello-v1.json")
    assert document.generation == 1, document.generation
    assert document.count_services() == 1, document.count_services()
    assert document.digest.startswith("sha256:"), document.digest
    service = document.lookup_service("hello", "web")
    assert service.image == "localhost/fleet-example:v1", service.image


@test
def bad_document_raises():
    """a bad document raises GLib.Error in the fleet domain, naming the place"""
    try:
        Fleet.Document.new_from_data('{"deployments": {"x": {"type": 3}}}', -1, None)
    except GLib.Error as error:
        assert error.matches(Fleet.error_quark(), Fleet.Error.INVALID_DOCUMENT), error
        assert "deployments.x" in error.message, error.message
    else:
        raise AssertionError("no error")


@test
def plan_against_fake_runtime():
    """a fresh device's plan pulls the image and starts the service"""
    runtime = Fleet.FakeRuntime.new()
    plan = plan_for(load("hello-v1.json"), runtime)
    actions = plan.get_actions()
    kinds = [Fleet.plan_action_kind_to_string(a.kind) for a in actions]
    assert kinds == ["pull", "start"], kinds
    start = actions[1]
    assert (start.deployment, start.service) == ("hello", "web"), (start.deployment, start.service)
    assert start.image == "localhost/fleet-example:v1", start.image
    assert start.spec.name == "web", start.spec.name
    assert plan.count(Fleet.PlanActionKind.START) == 1
    assert "hello" in plan.to_text()


@test
def plan_is_a_dry_run():
    """planning asks the runtime nothing"""
    runtime = Fleet.FakeRuntime.new()
    plan_for(load("hello-v2.json"), runtime)
    assert runtime.count_mutating_calls() == 0, runtime.format_calls()
    assert runtime.count_containers() == 0


@test
def plan_copies():
    """a plan and its actions are boxed types that copy"""
    plan = plan_for(load("hello-v1.json"), Fleet.FakeRuntime.new())
    copy = plan.copy()
    assert [a.service for a in copy.get_actions()] == [a.service for a in plan.get_actions()]


print("1..%d" % len(tests))
failed = 0
for number, function in enumerate(tests, 1):
    try:
        function()
        print("ok %d - %s" % (number, function.__doc__))
    except Exception as error:  # noqa: BLE001 - every failure is reported in TAP
        failed += 1
        print("not ok %d - %s" % (number, function.__doc__))
        for line in repr(error).splitlines():
            print("# " + line)
sys.exit(1 if failed else 0)
