"""What the virtmeter dashboards share: their template variables and the
selectors that apply them.

Every query filters on the instance variable; the VM and container
dashboards also on theirs. Each variable's "All" is the regex ".+", so a
selector reads the same whether one value, several or all are picked.
"""

from grafana import query_variable

RATE = "$__rate_interval"

INSTANCE = query_variable("instance", "instance", "virtmeter_build_info", "Instance")
VM = query_variable("vm", "vm", 'virtmeter_vm_info{instance=~"$instance"}', "VM")
CONTAINER = query_variable("container", "container", 'virtmeter_container_info{instance=~"$instance"}', "Container")

# The labels that name a container on every virtmeter_container_* series
# but its 64-digit id: what its panels group by.
CT = "instance, container, namespace, pod"
CT_LEGEND = "{{container}} {{namespace}}/{{pod}}"


def sel(metric, *matchers):
    """METRIC with the instance matcher and MATCHERS, as a selector."""
    return "%s{%s}" % (metric, ", ".join(('instance=~"$instance"',) + matchers))


def vm_sel(metric, *matchers):
    """sel() for a VM family: the vm variable too."""
    return sel(metric, 'vm=~"$vm"', *matchers)


def ct_sel(metric, *matchers):
    """sel() for a container family: the container variable too."""
    return sel(metric, 'container=~"$container"', *matchers)


def rate(selector, window=RATE):
    """rate() of SELECTOR over WINDOW (Grafana's rate interval by default)."""
    return "rate(%s[%s])" % (selector, window)
