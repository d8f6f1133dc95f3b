from community.privacy import Pseudonymizer, id_card_valid, luhn_valid

P = Pseudonymizer(b"test-secret")


def test_mobile_numbers_are_replaced_even_next_to_chinese_and_with_spaces() -> None:
    out = P.apply("电话13812345678，或者138 1234 5678也行")
    assert "13812345678" not in out and "1234 5678" not in out
    # the same number written two ways is the same person: one pseudonym
    assert out.count(P.pseudonym("手机", "13812345678")) == 2


def test_id_card_needs_a_valid_checksum() -> None:
    assert id_card_valid("11010519491231002X")
    assert not id_card_valid("110105194912310021")
    assert "11010519491231002X" not in P.apply("身份证11010519491231002X")
    # an 18-digit number with a wrong checksum is not an ID card (it may be an order number)
    assert "110105194912310021" in P.apply("订单110105194912310021")


def test_bank_card_uses_luhn() -> None:
    assert luhn_valid("6222021234567890128")
    assert "6222021234567890128" not in P.apply("卡号6222021234567890128")


def test_address_and_tail_number_and_wechat_id() -> None:
    out = P.apply("3. 王阿姨 2瓶 幸福里小区5号楼3单元501 尾号5678 微信号 abc_12345")
    for secret in ("5号楼3单元501", "5678", "abc_12345"):
        assert secret not in out
    assert "[地址#" in out and "[尾号#" in out and "[微信#" in out
    assert "2瓶" in out  # quantities are not addresses


def test_dates_and_pickup_numbers_are_left_alone() -> None:
    text = "11月3号自提，3号自提点，每户限2瓶"
    assert P.apply(text) == text


def test_pseudonyms_depend_on_the_deployment_secret() -> None:
    other = Pseudonymizer(b"another-secret")
    assert P.apply("13812345678") != other.apply("13812345678")
    assert P.apply("13812345678") == P.apply("13812345678")
