// The webhook bodies of FACTS.md b byte for byte (Newtonsoft indented JSON, LF, no trailing
// newline) with the worked example's secret: shared by the simulator and receiver tests.

export const FACTS_SECRET = '6Q7uBLgKNBZYp5zpVEeLso';
export const FACTS_STORE = 'YLPVGjoBw3vqwZ2vbWqNfMy4dZdzcj54w53PYjnBYri';

export const RECEIVED_PAYMENT_BODY = `{
  "afterExpiration": false,
  "paymentMethodId": "BTC-CHAIN",
  "payment": {
    "id": "709b55bd3da0f5a838125bd0ee20c5bfdd7caba173912d4281cae816b79a201b-1",
    "receivedDate": 1763741012,
    "value": "0.00081532",
    "fee": "0",
    "status": "Processing",
    "destination": "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
  },
  "deliveryId": "M8b8UB4C3w4ZqHh4FtfLWw",
  "webhookId": "LjcHN4LxshnDu1Kwro5erG",
  "originalDeliveryId": "M8b8UB4C3w4ZqHh4FtfLWw",
  "isRedelivery": false,
  "type": "InvoiceReceivedPayment",
  "timestamp": 1763741013,
  "storeId": "YLPVGjoBw3vqwZ2vbWqNfMy4dZdzcj54w53PYjnBYri",
  "invoiceId": "MoNmZKJVdVAYUV73AA8sCP",
  "metadata": {
    "orderId": "order-1042",
    "itemDesc": "Annual subscription",
    "buyerEmail": "alice@example.com"
  }
}`;

export const SETTLED_BODY = `{
  "manuallyMarked": false,
  "overPaid": false,
  "deliveryId": "Q2hwWAq9yud7qKkKJcvpCh",
  "webhookId": "LjcHN4LxshnDu1Kwro5erG",
  "originalDeliveryId": "Q2hwWAq9yud7qKkKJcvpCh",
  "isRedelivery": false,
  "type": "InvoiceSettled",
  "timestamp": 1763742334,
  "storeId": "YLPVGjoBw3vqwZ2vbWqNfMy4dZdzcj54w53PYjnBYri",
  "invoiceId": "MoNmZKJVdVAYUV73AA8sCP",
  "metadata": {
    "orderId": "order-1042",
    "itemDesc": "Annual subscription",
    "buyerEmail": "alice@example.com"
  }
}`;

export const EXPIRED_BODY = `{
  "partiallyPaid": false,
  "deliveryId": "K5FVyaiRJsnh6q35fFXUnh",
  "webhookId": "LjcHN4LxshnDu1Kwro5erG",
  "originalDeliveryId": "K5FVyaiRJsnh6q35fFXUnh",
  "isRedelivery": false,
  "type": "InvoiceExpired",
  "timestamp": 1763745304,
  "storeId": "YLPVGjoBw3vqwZ2vbWqNfMy4dZdzcj54w53PYjnBYri",
  "invoiceId": "2APGmGJJyoDDZvWrej687D",
  "metadata": {
    "orderId": "order-1043"
  }
}`;
