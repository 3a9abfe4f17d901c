// POST /quote with an order; answers the computed total. The body has already been checked against
// schemas/order.json by the gateway, so the handler only computes.

interface HttpApiEvent {
  body?: string;
  isBase64Encoded: boolean;
}

interface Context {
  requestId: string;
  log: { info(message: string, fields?: Record<string, unknown>): void };
}

export interface Order {
  currency?: 'EUR' | 'USD' | 'GBP';
  items: Array<{ sku: string; quantity: number; unitPrice: number }>;
}

/** Integer cents, so 0.1 + 0.2 stays exact. */
export function quote(order: Order) {
  const lines = order.items.map((i) => ({ sku: i.sku, quantity: i.quantity, cents: Math.round(i.unitPrice * 100) * i.quantity }));
  const subtotal = lines.reduce((sum, l) => sum + l.cents, 0);
  const discount = subtotal >= 10_000 ? Math.round(subtotal * 0.05) : 0; // 5% from 100.00
  return {
    currency: order.currency ?? 'EUR',
    lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, amount: l.cents / 100 })),
    subtotal: subtotal / 100,
    discount: discount / 100,
    total: (subtotal - discount) / 100,
  };
}

export const handler = async (event: HttpApiEvent, context: Context) => {
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body ?? '';
  const result = quote(JSON.parse(text) as Order);
  context.log.info('quoted', { items: result.lines.length, total: result.total });
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
};
