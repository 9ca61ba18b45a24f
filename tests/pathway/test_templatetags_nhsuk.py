"""The `phone_links` filter: advice to call 999 or NHS 111 can be dialled with a tap."""

from pathway.templatetags.nhsuk import phone_links


def test_999_and_nhs_111_become_links_a_phone_dials():
    line = "Call 999 or go to A&E now. If the surgery is closed, call NHS 111."
    assert phone_links(line) == (
        'Call <a href="tel:999">999</a> or go to A&amp;E now. If the surgery is closed, call '
        '<a href="tel:111">NHS 111</a>.'
    )


def test_the_rest_of_the_line_is_escaped_and_other_numbers_are_left():
    assert phone_links('<b>"9990"</b> 1999 111') == ("&lt;b&gt;&quot;9990&quot;&lt;/b&gt; 1999 111")
