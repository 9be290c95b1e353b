"""The admin: channels with their "Send test" action, the delivery log."""

from __future__ import annotations

from alerts.models import Channel, Delivery


def test_it_sends_a_test_message_from_the_channel_list(client, admin, http_receiver,
                                                      django_capture_on_commit_callbacks):
    channel = Channel.objects.create(name="hook", kind="slack", url=http_receiver.url, owner=admin)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = client.post("/admin/alerts/channel/", {"action": "send_test", "_selected_action": [channel.pk]})
    assert response.status_code == 302 and len(enqueued) == 1
    from alerts.notifications import delivery_send

    delivery_send(delivery_id=Delivery.objects.get().pk)
    assert "test" in http_receiver.requests[0][2]["text"]
    assert client.get("/admin/alerts/delivery/").status_code == 200
